"""The words of the manager pages in English and Ukrainian, and names of countries and languages.

Every message has both languages (a test checks it); taxonomy labels come from
:func:`matcher.taxonomy.load_taxonomy`, country and language names from pycountry's own
translations. Messages are trusted text and may hold ``<code>``: templates get them as markup
with the parameters escaped (:func:`markup`); Python code gets plain text (:func:`_`), which
templates escape.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from flask import request, session
from markupsafe import Markup

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    # the frame
    "app.name": {"en": "Partner matching", "uk": "Підбір партнерів"},
    "app.cluster": {"en": "Kharkiv Fashion Cluster", "uk": "Харківський фешн-кластер"},
    "nav.members": {"en": "Members", "uk": "Учасники"},
    "nav.sessions": {"en": "Matchmaking sessions", "uk": "B2B-сесії"},
    "nav.dashboard": {"en": "Dashboard", "uk": "Огляд"},
    "nav.api": {"en": "API docs", "uk": "Документація API"},
    "nav.main": {"en": "Main navigation", "uk": "Головне меню"},
    "nav.language": {"en": "Language", "uk": "Мова"},
    "role.member": {"en": "member", "uk": "учасник"},
    "role.manager": {"en": "manager", "uk": "менеджер"},
    "role.admin": {"en": "administrator", "uk": "адміністратор"},
    "user.signed_in_as": {"en": "{name} ({role})", "uk": "{name} ({role})"},
    "logout.button": {"en": "Sign out", "uk": "Вийти"},
    "common.any": {"en": "— any —", "uk": "— усі —"},
    "common.none": {"en": "none", "uk": "немає"},
    "common.not_given": {"en": "not given", "uk": "не вказано"},
    "common.show": {"en": "Show", "uk": "Показати"},
    "common.total": {"en": "Total", "uk": "Разом"},
    "common.fix_input": {"en": "Please correct this:", "uk": "Виправте, будь ласка:"},
    # signing in and out
    "login.title": {"en": "Sign in", "uk": "Вхід"},
    "login.intro": {
        "en": "The manager pages are for cluster managers and administrators.",
        "uk": "Ці сторінки — для менеджерів кластера та адміністраторів.",
    },
    "login.with_password": {"en": "With your name and password", "uk": "Ім'ям і паролем"},
    "login.with_token": {"en": "With your API token", "uk": "API-токеном"},
    "login.name": {"en": "User name", "uk": "Ім'я користувача"},
    "login.password": {"en": "Password", "uk": "Пароль"},
    "login.token": {"en": "API token", "uk": "API-токен"},
    "login.token_hint": {
        "en": "The token that <code>matcher users create</code> printed; it starts with "
        "<code>kfc_</code>.",
        "uk": "Токен, який видала команда <code>matcher users create</code>; він починається з "
        "<code>kfc_</code>.",
    },
    "login.password_hint": {
        "en": "An administrator sets it with <code>matcher users set-password</code>.",
        "uk": "Адміністратор задає його командою <code>matcher users set-password</code>.",
    },
    "login.button": {"en": "Sign in", "uk": "Увійти"},
    "login.missing_password": {
        "en": "Enter your user name and password.",
        "uk": "Введіть ім'я користувача та пароль.",
    },
    "login.missing_token": {"en": "Enter your API token.", "uk": "Введіть API-токен."},
    "login.bad_password": {
        "en": "The user name or password is wrong.",
        "uk": "Неправильне ім'я користувача або пароль.",
    },
    "login.bad_token": {
        "en": "The token is unknown or revoked.",
        "uk": "Токен невідомий або відкликаний.",
    },
    "login.refused_role": {
        "en": "These pages are for cluster managers and administrators; {name} has the role "
        "“{role}”. Members use the API with their token.",
        "uk": "Ці сторінки — для менеджерів кластера та адміністраторів; {name} має роль "
        "«{role}». Учасники користуються API зі своїм токеном.",
    },
    "login.done": {"en": "Signed in as {name}.", "uk": "Ви увійшли як {name}."},
    "login.required": {
        "en": "Sign in to see this page.",
        "uk": "Увійдіть, щоб побачити цю сторінку.",
    },
    "login.ended": {
        "en": "Your session has ended (the token or password was changed); sign in again.",
        "uk": "Сеанс завершено (токен або пароль змінено); увійдіть знову.",
    },
    "logout.done": {"en": "You are signed out.", "uk": "Ви вийшли."},
    "logout.confirm": {
        "en": "Sign out of the manager pages?",
        "uk": "Вийти зі сторінок менеджера?",
    },
    "csrf.failed": {
        "en": "The form has expired or did not come from this site. Reload the page and try again.",
        "uk": "Форма застаріла або надіслана не з цього сайту. Оновіть сторінку й спробуйте ще "
        "раз.",
    },
    "language.unknown": {
        "en": "Unknown language {value}; choose English or Ukrainian.",
        "uk": "Невідома мова {value}; оберіть англійську або українську.",
    },
    # members
    "members.title": {"en": "Members", "uk": "Учасники"},
    "members.search": {"en": "Search members", "uk": "Пошук учасників"},
    "members.q": {"en": "Name, id or description", "uk": "Назва, ідентифікатор або опис"},
    "members.per_page": {"en": "Per page", "uk": "На сторінці"},
    "members.search_button": {"en": "Search", "uk": "Шукати"},
    "members.clear": {"en": "Clear", "uk": "Скинути"},
    "members.found": {"en": "Members found: {total}", "uk": "Знайдено учасників: {total}"},
    "members.none_found": {
        "en": "No member matches the search.",
        "uk": "Жоден учасник не відповідає пошуку.",
    },
    "members.bad_page": {
        "en": "The page must be a whole number from 1; got {value}.",
        "uk": "Номер сторінки має бути цілим числом від 1; отримано {value}.",
    },
    "members.bad_per_page": {
        "en": "Per page must be a whole number from 1 to {max}; got {value}.",
        "uk": "Кількість на сторінці має бути цілим числом від 1 до {max}; отримано {value}.",
    },
    "members.bad_org_type": {
        "en": "Unknown type of activity: {value}.",
        "uk": "Невідомий вид діяльності: {value}.",
    },
    "members.bad_presence": {
        "en": "Unknown market presence: {value}.",
        "uk": "Невідома присутність на ринках: {value}.",
    },
    "members.bad_country": {
        "en": "The country must be a two-letter ISO code such as UA or PL; got {value}.",
        "uk": "Країна має бути дволітерним кодом ISO, наприклад UA або PL; отримано {value}.",
    },
    "members.bad_network": {"en": "Unknown network: {value}.", "uk": "Невідома мережа: {value}."},
    "members.bad_q": {
        "en": "The search text is longer than {max} characters.",
        "uk": "Текст пошуку довший за {max} символів.",
    },
    "page.previous": {"en": "Previous", "uk": "Попередня"},
    "page.next": {"en": "Next", "uk": "Наступна"},
    "page.of": {"en": "Page {page} of {pages}", "uk": "Сторінка {page} з {pages}"},
    "page.nav": {"en": "Pages", "uk": "Сторінки"},
    # profile fields
    "field.name": {"en": "Name", "uk": "Назва"},
    "field.org_type": {"en": "Type of activity", "uk": "Вид діяльності"},
    "field.country": {"en": "Country", "uk": "Країна"},
    "field.network": {"en": "Network", "uk": "Мережа"},
    "field.market_presence": {"en": "Market presence", "uk": "Присутність на ринках"},
    "field.potential": {"en": "Potential", "uk": "Потенціал"},
    "field.offers": {"en": "Offers", "uk": "Пропонує"},
    "field.seeks": {"en": "Seeks", "uk": "Шукає"},
    "field.products": {"en": "Product lines", "uk": "Товарні групи"},
    "field.markets_present": {"en": "Sells in", "uk": "Продає в"},
    "field.markets_target": {"en": "Target markets", "uk": "Цільові ринки"},
    "field.partnership_types": {"en": "Open to", "uk": "Відкритий до"},
    "field.certifications": {"en": "Certifications", "uk": "Сертифікати"},
    "field.languages": {"en": "Working languages", "uk": "Робочі мови"},
    "field.employees": {"en": "Employees", "uk": "Працівників"},
    "field.capacity": {"en": "Capacity, units a month", "uk": "Потужність, виробів на місяць"},
    "field.min_order": {"en": "Minimum order, units", "uk": "Мінімальне замовлення, виробів"},
    "field.nace": {"en": "NACE codes", "uk": "Коди NACE (КВЕД)"},
    "field.description": {"en": "Description", "uk": "Опис"},
    "field.contact_person": {"en": "Contact person", "uk": "Контактна особа"},
    "field.contact_email": {"en": "Email", "uk": "Ел. пошта"},
    "field.contact_phone": {"en": "Phone", "uk": "Телефон"},
    "tier.low": {"en": "low", "uk": "низький"},
    "tier.medium": {"en": "medium", "uk": "середній"},
    "tier.high": {"en": "high", "uk": "високий"},
    "member.gradation": {"en": "Gradation", "uk": "Градація"},
    "member.derived": {"en": "derived from its markets", "uk": "визначено за ринками"},
    "member.profile": {"en": "Profile", "uk": "Профіль"},
    "member.contact": {"en": "Contact details", "uk": "Контакти"},
    "member.contact_hidden": {
        "en": "Contact details are shown to the managers of {network} and to administrators.",
        "uk": "Контакти бачать менеджери мережі {network} та адміністратори.",
    },
    "member.suggestions_link": {"en": "Suggested partners", "uk": "Запропоновані партнери"},
    "member.suggestions_hidden": {
        "en": "The suggestions of this member are for the managers of {network} and "
        "administrators.",
        "uk": "Пропозиції для цього учасника бачать менеджери мережі {network} та адміністратори.",
    },
    "member.not_found": {
        "en": "Member {member_id} doesn't exist (or was withdrawn).",
        "uk": "Учасника {member_id} не існує (або його вилучено).",
    },
    "member.back": {"en": "Back to the members", "uk": "До списку учасників"},
    # suggestions
    "suggestions.title": {
        "en": "Suggested partners for {name}",
        "uk": "Запропоновані партнери для {name}",
    },
    "suggestions.k": {"en": "How many", "uk": "Скільки"},
    "suggestions.scope": {"en": "Scope", "uk": "Охоплення"},
    "scope.all": {"en": "All networks", "uk": "Усі мережі"},
    "scope.cluster": {"en": "Own network", "uk": "Своя мережа"},
    "scope.international": {"en": "Other networks", "uk": "Інші мережі"},
    "suggestions.countries": {
        "en": "Countries (ISO codes)",
        "uk": "Країни (коди ISO)",
    },
    "suggestions.partnership_type": {"en": "Partnership type", "uk": "Вид партнерства"},
    "suggestions.score": {"en": "Score", "uk": "Оцінка"},
    "suggestions.reasons": {"en": "Why", "uk": "Чому"},
    "suggestions.none": {
        "en": "No partners to suggest with these filters.",
        "uk": "Немає кого запропонувати з цими фільтрами.",
    },
    "suggestions.count": {
        "en": "{count} partners, best first.",
        "uk": "Партнерів: {count}, найкращі спочатку.",
    },
    "suggestions.forbidden": {
        "en": "Only the managers of {network} and administrators see the suggestions of {name}.",
        "uk": "Пропозиції для «{name}» бачать лише менеджери мережі {network} та адміністратори.",
    },
    "suggestions.bad_k": {
        "en": "How many must be a whole number from 1 to {max}; got {value}.",
        "uk": "Кількість має бути цілим числом від 1 до {max}; отримано {value}.",
    },
    "suggestions.bad_scope": {
        "en": "Unknown scope: {value}.",
        "uk": "Невідоме охоплення: {value}.",
    },
    "suggestions.bad_partnership_type": {
        "en": "Unknown partnership type: {value}.",
        "uk": "Невідомий вид партнерства: {value}.",
    },
    "suggestions.no_model": {
        "en": "No model is active yet: train one (“matcher db train”, or POST "
        "/api/v1/models/retrain).",
        "uk": "Ще немає активної моделі: навчіть її («matcher db train» або POST "
        "/api/v1/models/retrain).",
    },
    # dashboard
    "dashboard.title": {"en": "Dashboard", "uk": "Огляд"},
    "dashboard.network": {"en": "Network", "uk": "Мережа"},
    "dashboard.all_networks": {"en": "All networks", "uk": "Усі мережі"},
    "dashboard.members": {"en": "Members", "uk": "Учасників"},
    "dashboard.networks": {"en": "Networks", "uk": "Мереж"},
    "dashboard.by_type": {
        "en": "Members by type of activity and market presence",
        "uk": "Учасники за видом діяльності та присутністю на ринках",
    },
    "dashboard.potential": {"en": "Members by potential", "uk": "Учасники за потенціалом"},
    "dashboard.feedback": {"en": "Suggestions and outcomes", "uk": "Пропозиції та результати"},
    "dashboard.feedback_note": {
        "en": "What members did with their suggestions (the feedback the engine learns from).",
        "uk": "Що учасники зробили з пропозиціями (відгуки, з яких навчається модель).",
    },
    "dashboard.event": {"en": "Event", "uk": "Подія"},
    "dashboard.all_time": {"en": "All time", "uk": "За весь час"},
    "dashboard.last_days": {"en": "Last {days} days", "uk": "За {days} днів"},
    "dashboard.acceptance": {
        "en": "Accepted of those decided: {share}",
        "uk": "Прийнято з вирішених: {share}",
    },
    "dashboard.model": {"en": "Model", "uk": "Модель"},
    "dashboard.model_active": {
        "en": "Active model: {name}, trained {when}.",
        "uk": "Активна модель: {name}, навчена {when}.",
    },
    "dashboard.bad_network": {
        "en": "Unknown network: {value}.",
        "uk": "Невідома мережа: {value}.",
    },
    "event.shown": {"en": "Shown", "uk": "Показано"},
    "event.accepted": {"en": "Accepted", "uk": "Прийнято"},
    "event.declined": {"en": "Declined", "uk": "Відхилено"},
    "event.meeting": {"en": "Meetings", "uk": "Зустрічі"},
    "event.deal": {"en": "Deals", "uk": "Угоди"},
    # errors
    "error.400": {"en": "Bad request", "uk": "Неправильний запит"},
    "error.401": {"en": "Not signed in", "uk": "Вхід не виконано"},
    "error.403": {"en": "Access denied", "uk": "Доступ заборонено"},
    "error.404": {"en": "Not found", "uk": "Не знайдено"},
    "error.405": {"en": "Method not allowed", "uk": "Метод не дозволено"},
    "error.413": {"en": "The request is too large", "uk": "Запит завеликий"},
    "error.429": {
        "en": "Too many requests; wait a minute and try again.",
        "uk": "Забагато запитів; зачекайте хвилину й спробуйте знову.",
    },
    "error.500": {"en": "Something went wrong", "uk": "Щось пішло не так"},
    "error.503": {"en": "Not available yet", "uk": "Поки недоступно"},
    "error.other": {"en": "Error {status}", "uk": "Помилка {status}"},
    "error.logged": {
        "en": "The error has been logged; please tell the administrator.",
        "uk": "Помилку записано в журнал; повідомте, будь ласка, адміністратора.",
    },
}


def current_language() -> str:
    """The pages' language: the session's choice, else the browser's, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def _(key: str, **params: object) -> str:
    """Translate `key` into the pages' current language."""
    return translate(key, current_language(), **params)


def markup(key: str, language: str, **params: object) -> Markup:
    """Return the message `key` in `language` as markup, with `params` escaped."""
    text = MESSAGES[key].get(language) or MESSAGES[key][DEFAULT_LANGUAGE]
    return Markup(text).format(**params) if params else Markup(text)


def translate(key: str, language: str, **params: object) -> str:
    """Return the message `key` in `language` with `params` filled in.

    Raises
    ------
    KeyError
        For an unknown key (a template naming a message that doesn't exist is a bug).
    """
    text = MESSAGES[key].get(language) or MESSAGES[key][DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


@lru_cache(maxsize=8)
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@lru_cache(maxsize=4096)
def country_name(code: str, language: str) -> str:
    """Return the name of the ISO 3166-1 alpha-2 country `code` in `language` (else the code)."""
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    if country is None:
        return code
    if language == "en":
        return getattr(country, "common_name", None) or country.name
    return _catalogue("iso3166-1", language).gettext(country.name)


@lru_cache(maxsize=1024)
def language_name(code: str, language: str) -> str:
    """Return the name of the ISO 639-1 language `code` in `language` (else the code)."""
    found = pycountry.languages.get(alpha_2=code.lower()) if code else None
    if found is None:
        return code
    return _catalogue("iso639-3", language).gettext(found.name)


def format_decimal(value: float, language: str, digits: int = 2) -> str:
    """Return `value` with `digits` decimals and the decimal sign of `language`."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "uk" else text


def format_share(value: float, language: str) -> str:
    """Return the share `value` (0..1) as a whole percentage."""
    return f"{round(100 * value)}\u00a0%" if language == "uk" else f"{round(100 * value)}%"
