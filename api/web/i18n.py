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

from matcher import geography
from matcher.filters import FILTER_FIELDS, FilterProblem
from matcher.taxonomy import load_taxonomy

#: The one country name of every output (reasons, pages, exports), for the pages' templates.
country_name = geography.country_name

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    # the frame
    "app.name": {"en": "Partner matching", "uk": "Підбір партнерів"},
    "app.cluster": {"en": "Kharkiv Fashion Cluster", "uk": "Харківський фешн-кластер"},
    "nav.members": {"en": "Members", "uk": "Учасники"},
    "nav.sessions": {"en": "Matchmaking sessions", "uk": "B2B-сесії"},
    "nav.dashboard": {"en": "Dashboard", "uk": "Огляд"},
    "nav.insights": {"en": "Insights", "uk": "Аналітика"},
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
    "members.bad_presence": {
        "en": "Unknown market presence: {value}.",
        "uk": "Невідома присутність на ринках: {value}.",
    },
    # A refused partner filter value (matcher.filters): the English words are the engine's, as
    # the API and the command line give them (see filter_problem).
    "filter.problem": {"en": "{field}: {message}", "uk": "{field}: {message}"},
    "filter.country_guess": {
        "en": "'{value}' is not an ISO 3166-1 alpha-2 country code; did you mean '{guess}'?",
        "uk": "«{value}» не є кодом країни ISO 3166-1 alpha-2; можливо, ви мали на увазі "
        "«{guess}»?",
    },
    "filter.country_shape": {
        "en": "'{value}' is not an ISO 3166-1 alpha-2 country code (two letters, e.g. 'UA', 'PL')",
        "uk": "«{value}» не є кодом країни ISO 3166-1 alpha-2 (дві літери, наприклад «UA», «PL»)",
    },
    "filter.tag_guess": {
        "en": "'{value}' is not {noun}; did you mean '{guess}'?",
        "uk": "«{value}» не є {noun}; можливо, ви мали на увазі «{guess}»?",
    },
    "filter.tag_allowed": {
        "en": "'{value}' is not {noun}; allowed: {allowed}",
        "uk": "«{value}» не є {noun}; допустимі значення: {allowed}",
    },
    "filter.noun.org_type": {"en": "an org_type", "uk": "видом діяльності"},
    "filter.noun.partnership_type": {"en": "a partnership type", "uk": "видом партнерства"},
    "filter.noun.certification": {"en": "a certification", "uk": "сертифікатом"},
    "filter.field.country": {"en": "Country", "uk": "Країна"},
    "filter.field.org_type": {"en": "Type of activity", "uk": "Вид діяльності"},
    "filter.field.partnership_type": {"en": "Partnership type", "uk": "Вид партнерства"},
    "filter.field.certification": {"en": "Certification", "uk": "Сертифікат"},
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
    "dashboard.forbidden": {
        "en": "A manager of {network} sees the figures of its own network only, not of {value}.",
        "uk": "Менеджер мережі {network} бачить лише показники своєї мережі, а не {value}.",
    },
    # cluster insights
    "insights.title": {"en": "Cluster insights", "uk": "Аналітика кластера"},
    "insights.intro": {
        "en": "What {network} has, what it lacks, and where abroad the missing pieces are.",
        "uk": "Що має {network}, чого бракує і де за кордоном знайти те, чого бракує.",
    },
    "insights.computed": {
        "en": "Computed {when} with model version {version} from {profiles} profiles in "
        "{networks} networks and {links} known links.",
        "uk": "Обчислено {when} моделлю версії {version} за {profiles} профілями в {networks} "
        "мережах і {links} відомими зв'язками.",
    },
    "insights.card_members": {"en": "members of the network", "uk": "учасників мережі"},
    "insights.card_gaps": {
        "en": "capabilities sought but offered by no member",
        "uk": "можливостей, яких шукають, але жоден учасник не пропонує",
    },
    "insights.card_shortages": {
        "en": "capabilities in short supply",
        "uk": "можливостей з нестачею пропозиції",
    },
    "insights.card_targets": {"en": "target markets", "uk": "цільових ринків"},
    "insights.card_no_partner": {
        "en": "target markets with no partner yet",
        "uk": "цільових ринків без жодного партнера",
    },
    "insights.card_unpartnered": {
        "en": "members with no partner yet",
        "uk": "учасників без жодного партнера",
    },
    "insights.card_components": {
        "en": "groups of known partnerships",
        "uk": "груп відомих партнерств",
    },
    "insights.downloads": {"en": "Report and tables", "uk": "Звіт і таблиці"},
    "insights.downloads_hint": {
        "en": "The report is one self-contained page with every chart and table, printable on "
        "A4; the XLSX file holds every table, one sheet each.",
        "uk": "Звіт — одна самодостатня сторінка з усіма діаграмами й таблицями, її можна "
        "надрукувати на A4; файл XLSX містить усі таблиці, по аркушу на кожну.",
    },
    "insights.report_uk": {"en": "Report in Ukrainian", "uk": "Звіт українською"},
    "insights.report_en": {"en": "Report in English", "uk": "Звіт англійською"},
    "insights.report_both": {"en": "Report in both languages", "uk": "Звіт двома мовами"},
    "insights.tables": {"en": "Tables (XLSX)", "uk": "Таблиці (XLSX)"},
    "insights.api_hint": {
        "en": "The same figures as JSON: <code>GET /api/v1/insights</code>.",
        "uk": "Ті самі показники у форматі JSON: <code>GET /api/v1/insights</code>.",
    },
    "insights.gaps": {
        "en": "Gaps and the best partners abroad",
        "uk": "Прогалини та найкращі партнери за кордоном",
    },
    "insights.gaps_hint": {
        "en": "Capabilities that members seek and no member of the network offers, with the "
        "organisations of other networks that the engine ranks best for the members seeking "
        "them.",
        "uk": "Можливості, яких шукають учасники і яких не пропонує жоден учасник мережі, та "
        "організації інших мереж, які модель вважає найкращими для тих, хто їх шукає.",
    },
    "insights.no_gaps": {
        "en": "No gaps: every capability sought is offered by some member.",
        "uk": "Прогалин немає: кожну затребувану можливість пропонує хтось із учасників.",
    },
    "insights.capability": {"en": "Capability", "uk": "Можливість"},
    "insights.sought_by": {"en": "Sought by", "uk": "Шукають"},
    "insights.partners_abroad": {
        "en": "Best partners abroad",
        "uk": "Найкращі партнери за кордоном",
    },
    "insights.for_members": {
        "en": "among the best for {n} of {sought}",
        "uk": "серед найкращих для {n} з {sought}",
    },
    "insights.none_abroad": {
        "en": "No organisation of another network offers it.",
        "uk": "Жодна організація інших мереж цього не пропонує.",
    },
    "insights.unpartnered": {"en": "Members with no partner yet", "uk": "Учасники без партнера"},
    "insights.unpartnered_hint": {
        "en": "Priorities for the next matchmaking day, by potential, with their best suggestions.",
        "uk": "Пріоритети наступного дня підбору партнерів, за потенціалом, з найкращими "
        "пропозиціями.",
    },
    "insights.all_partnered": {
        "en": "Every member has a known partner.",
        "uk": "Кожен учасник має відомого партнера.",
    },
    "insights.member": {"en": "Member", "uk": "Учасник"},
    "insights.suggested": {"en": "Best suggestions", "uk": "Найкращі пропозиції"},
    "insights.more": {
        "en": "And {n} more in the report and the tables.",
        "uk": "І ще {n} у звіті й таблицях.",
    },
    "insights.without_partner": {
        "en": "Target markets with no partner yet: {markets}.",
        "uk": "Цільові ринки без жодного партнера: {markets}.",
    },
    "insights.outcomes": {
        "en": "Suggestions shown: {shown}; accepted: {accepted}; meetings held: {meetings}; "
        "deals: {deals}; weeks with feedback: {sessions}.",
        "uk": "Показано пропозицій: {shown}; прийнято: {accepted}; проведено зустрічей: "
        "{meetings}; укладено угод: {deals}; тижнів із відгуками: {sessions}.",
    },
    "insights.no_outcomes": {
        "en": "No feedback from the members of this network yet: the outcomes of matchmaking "
        "appear once members record what they did with their suggestions.",
        "uk": "Учасники цієї мережі ще не залишили відгуків: результати підбору партнерів "
        "з'являться, коли учасники позначать, що зробили з пропозиціями.",
    },
    "insights.snapshots": {
        "en": "How members moved between gradation tiers is not shown here: the database keeps "
        "only the current profiles. Export the members at two dates and compare them with "
        "<code>matcher insights --previous</code>.",
        "uk": "Переходи учасників між рівнями градації тут не показано: база даних зберігає лише "
        "поточні профілі. Експортуйте учасників на дві дати й порівняйте їх командою "
        "<code>matcher insights --previous</code>.",
    },
    "insights.no_network": {
        "en": "You look after no network; an administrator can assign you one.",
        "uk": "Ви не опікуєтеся жодною мережею; адміністратор може її призначити.",
    },
    "insights.other_network": {
        "en": "You manage the network {own}; only an administrator may see the insights of "
        "{network}.",
        "uk": "Ви керуєте мережею {own}; аналітику мережі {network} може бачити лише "
        "адміністратор.",
    },
    "insights.computing": {
        "en": "The insights of {network} are being computed. This page reloads itself until "
        "they are ready.",
        "uk": "Аналітика мережі {network} обчислюється. Сторінка оновлюватиметься сама, доки "
        "її не буде готово.",
    },
    "insights.computing_since": {
        "en": "Started {when} with model version {version}; the page reloads every {seconds} s.",
        "uk": "Розпочато {when} моделлю версії {version}; сторінка оновлюється кожні {seconds} с.",
    },
    "insights.failed": {
        "en": "Computing the insights of {network} failed: {reason}. They will be computed "
        "again when the page is reloaded after {when}.",
        "uk": "Не вдалося обчислити аналітику мережі {network}: {reason}. Її буде обчислено "
        "знову, якщо оновити сторінку після {when}.",
    },
    "insights.stale": {
        "en": "These figures were computed {when}: the data or the model have changed since, "
        "and newer figures are being computed.",
        "uk": "Ці показники обчислено {when}: відтоді дані або модель змінилися, і новіші "
        "показники вже обчислюються.",
    },
    "insights.stale_failed": {
        "en": "These figures were computed {when}: the data or the model have changed since, "
        "and computing newer figures failed: {reason}.",
        "uk": "Ці показники обчислено {when}: відтоді дані або модель змінилися, а обчислити "
        "новіші показники не вдалося: {reason}.",
    },
    "insights.reload": {"en": "Reload now", "uk": "Оновити зараз"},
    "insights.no_chart": {
        "en": "There is nothing to draw in this chart.",
        "uk": "Для цієї діаграми немає даних.",
    },
    "insights.bad_language": {
        "en": "Unknown report language: {value} (uk, en or both).",
        "uk": "Невідома мова звіту: {value} (uk, en або both).",
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
    # matchmaking sessions (api.web.sessions_pages)
    "sessions.title": {"en": "Matchmaking sessions", "uk": "B2B-сесії"},
    "sessions.intro": {
        "en": "Matchmaking days: one-to-one meetings in time slots at numbered tables, planned "
        "from the participants' wishes and the engine's suggestions.",
        "uk": "Дні ділових зустрічей: зустрічі віч-на-віч у часових слотах за пронумерованими "
        "столами, сплановані за бажаннями учасників і пропозиціями моделі.",
    },
    "sessions.list": {"en": "Sessions", "uk": "Сесії"},
    "sessions.none": {"en": "No sessions yet.", "uk": "Сесій ще немає."},
    "sessions.create": {"en": "Create a session", "uk": "Створити сесію"},
    "sessions.create_button": {"en": "Create", "uk": "Створити"},
    "sessions.created": {"en": "Session “{name}” created.", "uk": "Сесію «{name}» створено."},
    "sessions.field.name": {"en": "Name", "uk": "Назва"},
    "sessions.field.date": {"en": "Date", "uk": "Дата"},
    "sessions.field.place": {"en": "Place", "uk": "Місце"},
    "sessions.field.timezone": {"en": "Time zone", "uk": "Часовий пояс"},
    "sessions.field.start": {"en": "Start", "uk": "Початок"},
    "sessions.field.end": {"en": "End", "uk": "Кінець"},
    "sessions.field.breaks": {"en": "Breaks", "uk": "Перерви"},
    "sessions.field.meeting_minutes": {"en": "Meeting, min", "uk": "Зустріч, хв"},
    "sessions.field.gap_minutes": {"en": "Between slots, min", "uk": "Між слотами, хв"},
    "sessions.field.tables": {"en": "Tables", "uk": "Столів"},
    "sessions.field.slots": {"en": "Or the slots' start times", "uk": "Або початок кожного слоту"},
    "sessions.field.network": {"en": "Run by the network", "uk": "Проводить мережа"},
    "sessions.field.networks": {"en": "Who may take part", "uk": "Хто може брати участь"},
    "sessions.field.member_ids": {"en": "Listed members (ids)", "uk": "Окремі учасники (коди)"},
    "sessions.field.pair_rules": {"en": "Who may meet whom", "uk": "Хто з ким може зустрічатися"},
    "sessions.field.state": {"en": "Agenda", "uk": "Розклад"},
    "sessions.slots_hint": {
        "en": "Leave empty to make the slots from start, end, breaks and meeting length.",
        "uk": "Залиште порожнім, щоб слоти склалися з початку, кінця, перерв і тривалості "
        "зустрічі.",
    },
    "sessions.networks_hint": {
        "en": "None ticked and no members listed: any member may take part.",
        "uk": "Якщо нічого не вибрано й нікого не вказано, брати участь може будь-хто.",
    },
    "sessions.rule.buyers_with_suppliers": {
        "en": "Only buyers with suppliers",
        "uk": "Лише покупці з постачальниками",
    },
    "sessions.rule.different_networks": {
        "en": "No two members of the same network",
        "uk": "Не зводити учасників однієї мережі",
    },
    "sessions.bad_number": {
        "en": "{field}: “{value}” is not a whole number from {low} to {high}.",
        "uk": "{field}: «{value}» — не ціле число від {low} до {high}.",
    },
    "sessions.no_network": {
        "en": "You look after no network; an administrator can assign you one.",
        "uk": "Ви не опікуєтеся жодною мережею; адміністратор може її призначити.",
    },
    "sessions.state.preliminary": {"en": "preliminary", "uk": "попередній"},
    "sessions.state.final": {"en": "final", "uk": "остаточний"},
    "sessions.revision": {"en": "revision {revision}", "uk": "редакція {revision}"},
    "sessions.tabs": {"en": "Session pages", "uk": "Сторінки сесії"},
    "sessions.tab.overview": {"en": "Session", "uk": "Сесія"},
    "sessions.tab.wishes": {"en": "Wish lists", "uk": "Побажання"},
    "sessions.tab.agenda": {"en": "Agenda", "uk": "Розклад"},
    "sessions.tab.outcomes": {"en": "Outcomes", "uk": "Результати"},
    "sessions.participants": {"en": "Participants", "uk": "Учасників"},
    "sessions.meetings_requested": {"en": "Meetings requested", "uk": "Запитано зустрічей"},
    "sessions.meetings": {"en": "Meetings planned", "uk": "Заплановано зустрічей"},
    "sessions.meetings_held": {"en": "Meetings held", "uk": "Відбулося зустрічей"},
    "sessions.settings": {"en": "Settings", "uk": "Параметри"},
    "sessions.slots": {"en": "Slots", "uk": "Слоти"},
    "sessions.slot": {"en": "Slot", "uk": "Слот"},
    "sessions.slot_n": {"en": "slot {slot}", "uk": "слот {slot}"},
    "sessions.table": {"en": "Table", "uk": "Стіл"},
    "sessions.table_n": {"en": "Table {table}", "uk": "Стіл {table}"},
    "sessions.anyone": {"en": "any member", "uk": "будь-хто"},
    "sessions.listed_members": {"en": "{count} listed members", "uk": "окремих учасників: {count}"},
    "sessions.participants_heading": {"en": "Participants", "uk": "Учасники сесії"},
    "sessions.no_participants": {
        "en": "No participants yet: find members below or import a file.",
        "uk": "Учасників ще немає: знайдіть їх нижче або імпортуйте файл.",
    },
    "sessions.available": {"en": "Available slots", "uk": "Доступні слоти"},
    "sessions.limits": {"en": "Meetings wanted", "uk": "Бажано зустрічей"},
    "sessions.actions": {"en": "Actions", "uk": "Дії"},
    "sessions.calendar": {"en": "Calendar (.ics)", "uk": "Календар (.ics)"},
    "sessions.remove": {"en": "Remove", "uk": "Вилучити"},
    "sessions.remove_named": {"en": "Remove {name}", "uk": "Вилучити {name}"},
    "sessions.participant_added": {
        "en": "{name} takes part now.",
        "uk": "{name} тепер бере участь.",
    },
    "sessions.participant_removed": {
        "en": "{member_id} removed, with its wishes and meetings.",
        "uk": "{member_id} вилучено разом із побажаннями та зустрічами.",
    },
    "sessions.add_heading": {"en": "Add members", "uk": "Додати учасників"},
    "sessions.add": {"en": "Add", "uk": "Додати"},
    "sessions.all_slots": {"en": "all slots", "uk": "усі слоти"},
    "sessions.available_hint": {
        "en": "Slots as 1-4;6 or a time range 10:00-12:00; empty: every slot.",
        "uk": "Слоти як 1-4;6 або проміжок часу 10:00-12:00; порожньо — усі слоти.",
    },
    "sessions.found_none": {
        "en": "No member found who may join and is not in yet.",
        "uk": "Не знайдено учасників, які можуть приєднатися й ще не беруть участі.",
    },
    "sessions.import_heading": {"en": "Import a file", "uk": "Імпорт файлу"},
    "sessions.import_file": {"en": "CSV or XLSX file", "uk": "Файл CSV або XLSX"},
    "sessions.import_hint": {
        "en": "Columns member_id, available, min_meetings, max_meetings, role. All rows or "
        "none: every bad row is listed.",
        "uk": "Стовпці member_id, available, min_meetings, max_meetings, role. Усі рядки або "
        "жодного: кожен хибний рядок буде названо.",
    },
    "sessions.import_button": {"en": "Import", "uk": "Імпортувати"},
    "sessions.imported": {
        "en": "{count} participants imported.",
        "uk": "Імпортовано учасників: {count}.",
    },
    "sessions.no_file": {"en": "Choose a file to import.", "uk": "Виберіть файл для імпорту."},
    "sessions.row_problem": {
        "en": "row {row}, {field}: {message}",
        "uk": "рядок {row}, {field}: {message}",
    },
    "sessions.refused_409": {
        "en": "The change was refused (nothing was changed):",
        "uk": "Зміну відхилено (нічого не змінено):",
    },
    "sessions.refused_422": {
        "en": "The input has problems (nothing was changed):",
        "uk": "У даних є помилки (нічого не змінено):",
    },
    "sessions.build_heading": {"en": "Wish lists and the agenda", "uk": "Побажання і розклад"},
    "sessions.steps": {
        "en": "1. Ask the engine for suggestions among the participants. 2. Mark the wishes. "
        "3. Build the agenda, edit it, publish it.",
        "uk": "1. Отримайте пропозиції моделі серед учасників. 2. Позначте побажання. "
        "3. Складіть розклад, відредагуйте й опублікуйте.",
    },
    "sessions.suggest": {
        "en": "Refresh the engine's suggestions",
        "uk": "Оновити пропозиції моделі",
    },
    "sessions.suggested": {
        "en": "The engine suggested {count} partners among the participants.",
        "uk": "Модель запропонувала партнерів серед учасників: {count}.",
    },
    "sessions.time_limit": {"en": "Time limit, s", "uk": "Ліміт часу, с"},
    "sessions.method": {"en": "Method", "uk": "Метод"},
    "sessions.method.auto": {"en": "Optimal (solver)", "uk": "Оптимальний (розв'язувач)"},
    "sessions.method.greedy": {"en": "Quick (greedy)", "uk": "Швидкий (жадібний)"},
    "sessions.include_suggested": {
        "en": "Also plan suggestions nobody marked",
        "uk": "Планувати й непозначені пропозиції",
    },
    "sessions.build": {"en": "Build the agenda", "uk": "Скласти розклад"},
    "sessions.build_hint": {
        "en": "Locked meetings stay where they are. The page waits for the solver (at most "
        "{max} s).",
        "uk": "Закріплені зустрічі лишаються на місці. Сторінка чекає на розв'язувач (до {max} с).",
    },
    "sessions.bad_time_limit": {
        "en": "Time limit “{value}”: give seconds from 1 to {max}.",
        "uk": "Ліміт часу «{value}»: вкажіть від 1 до {max} секунд.",
    },
    "sessions.built": {
        "en": "Agenda built: {meetings} meetings; objective {objective}, bound {bound}, gap {gap}.",
        "uk": "Розклад складено: {meetings} зустрічей; цільова функція {objective}, межа {bound}, "
        "розрив {gap}.",
    },
    "sessions.downloads": {"en": "Downloads", "uk": "Завантаження"},
    "sessions.download.xlsx": {"en": "XLSX workbook", "uk": "Книга XLSX"},
    "sessions.download.csv_plan": {"en": "CSV: plan", "uk": "CSV: план"},
    "sessions.download.csv_agendas": {"en": "CSV: agendas", "uk": "CSV: розклади"},
    "sessions.download.csv_tables": {"en": "CSV: table plan", "uk": "CSV: план столів"},
    "sessions.download.ics": {"en": "Calendars (ICS, zip)", "uk": "Календарі (ICS, zip)"},
    "sessions.download.html": {"en": "Printable page", "uk": "Сторінка для друку"},
    "sessions.bad_view": {
        "en": "Unknown CSV view: {value}.",
        "uk": "Невідомий вигляд CSV: {value}.",
    },
    "sessions.not_participant": {
        "en": "{member_id} is not a participant of this session.",
        "uk": "{member_id} не бере участі в цій сесії.",
    },
    "sessions.delete_heading": {"en": "Delete the session", "uk": "Видалити сесію"},
    "sessions.delete_hint": {
        "en": "The session goes with its wishes and agenda; the feedback from its outcomes stays.",
        "uk": "Сесія зникне разом із побажаннями й розкладом; відгуки з її результатів лишаться.",
    },
    "sessions.delete": {"en": "Delete", "uk": "Видалити"},
    "sessions.deleted": {"en": "Session deleted.", "uk": "Сесію видалено."},
    "sessions.wishes_of": {"en": "Wish list of", "uk": "Побажання учасника"},
    "sessions.wish_list_of": {"en": "{name}: whom to meet", "uk": "{name}: з ким зустрітися"},
    "sessions.wishes_hint": {
        "en": "The engine's suggestions among the participants, best first, with its reasons. "
        "“No thanks” is a veto: the pair never meets.",
        "uk": "Пропозиції моделі серед учасників, найкращі першими, з поясненнями. "
        "«Ні, дякую» — це вето: пара не зустрінеться.",
    },
    "sessions.not_stored": {
        "en": "(Computed now: refresh the suggestions to keep them with the session.)",
        "uk": "(Обчислено щойно: оновіть пропозиції, щоб зберегти їх у сесії.)",
    },
    "sessions.wished_only": {"en": "wished, not suggested", "uk": "бажаний, не запропонований"},
    "sessions.their_wish": {"en": "their wish: {level}", "uk": "їхнє бажання: {level}"},
    "sessions.no_suggestions": {
        "en": "No suggestions for this participant: refresh the engine's suggestions, or set "
        "wishes below.",
        "uk": "Для цього учасника пропозицій немає: оновіть пропозиції моделі або задайте "
        "побажання нижче.",
    },
    "sessions.other_partner": {
        "en": "A wish for another participant",
        "uk": "Побажання щодо іншого учасника",
    },
    "sessions.partner": {"en": "Partner", "uk": "Партнер"},
    "sessions.level": {"en": "Wish", "uk": "Побажання"},
    "sessions.set_wish": {"en": "Set", "uk": "Задати"},
    "sessions.bad_level": {"en": "Unknown wish: {value}.", "uk": "Невідоме побажання: {value}."},
    "sessions.wish_set": {
        "en": "{name} → {partner}: {level}.",
        "uk": "{name} → {partner}: {level}.",
    },
    "sessions.meeting_option": {
        "en": "Slot {slot}, table {table}: {a} — {b}",
        "uk": "Слот {slot}, стіл {table}: {a} — {b}",
    },
    "sessions.bound_by.cp_sat": {"en": "proved by CP-SAT", "uk": "доведено CP-SAT"},
    "sessions.bound_by.relaxation": {
        "en": "linear relaxation, HiGHS",
        "uk": "лінійна релаксація, HiGHS",
    },
    "sessions.delete_confirm": {
        "en": "Yes, delete this session",
        "uk": "Так, видалити цю сесію",
    },
    "sessions.delete_unconfirmed": {
        "en": "Tick the box to confirm that the session should be deleted.",
        "uk": "Позначте поле, щоб підтвердити видалення сесії.",
    },
    "wish.must": {"en": "Must meet", "uk": "Обов'язково"},
    "wish.would": {"en": "Would meet", "uk": "Бажано"},
    "wish.no": {"en": "No thanks", "uk": "Ні, дякую"},
    "wish.none": {"en": "Clear", "uk": "Скинути"},
    "sessions.last_build": {"en": "The last build", "uk": "Останнє складання"},
    "sessions.not_built": {
        "en": "The agenda has not been built yet.",
        "uk": "Розклад ще не складено.",
    },
    "sessions.objective": {"en": "Objective", "uk": "Цільова функція"},
    "sessions.bound": {"en": "Proven bound", "uk": "Доведена межа"},
    "sessions.gap": {"en": "Gap", "uk": "Розрив"},
    "sessions.status": {"en": "Result", "uk": "Результат"},
    "sessions.build_status.optimal": {"en": "optimal", "uk": "оптимальний"},
    "sessions.build_status.feasible": {
        "en": "feasible (time limit)",
        "uk": "допустимий (ліміт часу)",
    },
    "sessions.build_status.greedy": {"en": "greedy", "uk": "жадібний"},
    "sessions.seconds": {"en": "{seconds} s", "uk": "{seconds} с"},
    "sessions.candidates": {"en": "{count} candidates", "uk": "кандидатів: {count}"},
    "sessions.unmet_minimum": {"en": "Below their minimum", "uk": "Нижче свого мінімуму"},
    "sessions.without_meetings": {
        "en": "Asked for meetings, have none",
        "uk": "Просили зустрічей, не мають жодної",
    },
    "sessions.fallback": {"en": "Fallback", "uk": "Запасний варіант"},
    "sessions.check": {"en": "Conflicts and publishing", "uk": "Конфлікти й публікація"},
    "sessions.no_conflicts": {"en": "No conflicts.", "uk": "Конфліктів немає."},
    "sessions.publish": {"en": "Publish as final", "uk": "Опублікувати як остаточний"},
    "sessions.publish_hint": {
        "en": "A final agenda goes to the calendars as confirmed; reopen it to change it.",
        "uk": "Остаточний розклад потрапляє в календарі як підтверджений; щоб змінити, "
        "відкрийте його знову.",
    },
    "sessions.published": {"en": "The agenda is final.", "uk": "Розклад остаточний."},
    "sessions.final_note": {
        "en": "Published as final at {when}.",
        "uk": "Опубліковано як остаточний: {when}.",
    },
    "sessions.reopen": {"en": "Reopen for changes", "uk": "Відкрити для змін"},
    "sessions.reopened": {
        "en": "The agenda is preliminary again.",
        "uk": "Розклад знову попередній.",
    },
    "sessions.grid": {"en": "Agenda: slots by tables", "uk": "Розклад: слоти за столами"},
    "sessions.grid_hint": {
        "en": "Lock a meeting to keep it when the agenda is built again; choose one to move or "
        "swap it below; + adds a meeting at that table.",
        "uk": "Закріпіть зустріч, щоб вона лишилася при повторному складанні; виберіть її, щоб "
        "перенести або поміняти нижче; + додає зустріч за цим столом.",
    },
    "sessions.locked": {"en": "locked", "uk": "закріплено"},
    "sessions.meeting_status.held": {"en": "held", "uk": "відбулася"},
    "sessions.choose": {"en": "Choose", "uk": "Вибрати"},
    "sessions.lock": {"en": "Lock", "uk": "Закріпити"},
    "sessions.unlock": {"en": "Unlock", "uk": "Відкріпити"},
    "sessions.cancel": {"en": "Cancel", "uk": "Скасувати"},
    "sessions.add_here": {
        "en": "Add a meeting in slot {slot} at table {table}",
        "uk": "Додати зустріч у слот {slot} за стіл {table}",
    },
    "sessions.edit": {"en": "Edit by hand", "uk": "Редагування вручну"},
    "sessions.edit_hint": {
        "en": "An edit that would create a conflict is refused and the agenda stays as it was. "
        "Moved and added meetings are locked.",
        "uk": "Зміну, що створила б конфлікт, буде відхилено, і розклад лишиться як був. "
        "Перенесені й додані зустрічі закріплюються.",
    },
    "sessions.move": {"en": "Move", "uk": "Перенести"},
    "sessions.swap": {"en": "Swap", "uk": "Поміняти місцями"},
    "sessions.add_meeting": {"en": "Add a meeting", "uk": "Додати зустріч"},
    "sessions.meeting": {"en": "Meeting", "uk": "Зустріч"},
    "sessions.with_meeting": {"en": "with the meeting", "uk": "із зустріччю"},
    "sessions.any_table": {"en": "any free", "uk": "будь-який вільний"},
    "sessions.participant_a": {"en": "Participant", "uk": "Учасник"},
    "sessions.participant_b": {"en": "meets", "uk": "зустрічається з"},
    "sessions.choose_slot": {"en": "Choose a slot.", "uk": "Виберіть слот."},
    "sessions.bad_action": {"en": "Unknown edit: {value}.", "uk": "Невідома дія: {value}."},
    "sessions.edited.move": {"en": "Meeting moved.", "uk": "Зустріч перенесено."},
    "sessions.edited.swap": {"en": "Meetings swapped.", "uk": "Зустрічі поміняно місцями."},
    "sessions.edited.cancel": {"en": "Meeting cancelled.", "uk": "Зустріч скасовано."},
    "sessions.edited.add": {"en": "Meeting added.", "uk": "Зустріч додано."},
    "sessions.edited.lock": {"en": "Meeting locked.", "uk": "Зустріч закріплено."},
    "sessions.edited.unlock": {"en": "Meeting unlocked.", "uk": "Зустріч відкріплено."},
    "sessions.cancelled_heading": {"en": "Cancelled meetings", "uk": "Скасовані зустрічі"},
    "sessions.outcomes_hint": {
        "en": "After the day: which meetings took place and what came of them. Held meetings "
        "become feedback the engine learns from.",
        "uk": "Після заходу: які зустрічі відбулися і з яким результатом. Проведені зустрічі "
        "стають відгуками, з яких навчається модель.",
    },
    "sessions.outcomes_after_publish": {
        "en": "Publish the agenda first; then record what happened.",
        "uk": "Спершу опублікуйте розклад, тоді вносьте, що відбулося.",
    },
    "sessions.no_meetings": {
        "en": "The agenda has no meetings.",
        "uk": "У розкладі немає зустрічей.",
    },
    "sessions.outcome": {"en": "Outcome", "uk": "Результат"},
    "sessions.outcome.planned": {"en": "— not recorded —", "uk": "— не внесено —"},
    "sessions.outcome.not_held": {"en": "Did not take place", "uk": "Не відбулася"},
    "sessions.outcome.held": {"en": "Held", "uk": "Відбулася"},
    "sessions.outcome.follow_up": {
        "en": "Held: follow-up agreed",
        "uk": "Відбулася: домовилися про подальші кроки",
    },
    "sessions.outcome.deal": {"en": "Held: a deal", "uk": "Відбулася: угода"},
    "sessions.save_outcomes": {"en": "Save the outcomes", "uk": "Зберегти результати"},
    "sessions.outcomes_saved": {
        "en": "{meetings} meetings recorded; feedback: {written} written, {removed} withdrawn.",
        "uk": "Внесено зустрічей: {meetings}; відгуки: записано {written}, відкликано {removed}.",
    },
    "conflict.unknown_participant": {"en": "Unknown participant", "uk": "Невідомий учасник"},
    "conflict.bad_slot": {"en": "No such slot", "uk": "Такого слоту немає"},
    "conflict.bad_table": {"en": "No such table", "uk": "Такого столу немає"},
    "conflict.duplicate_pair": {"en": "The pair meets twice", "uk": "Пара зустрічається двічі"},
    "conflict.double_booking": {"en": "Double booking", "uk": "Подвійне бронювання"},
    "conflict.unavailable": {"en": "Not available then", "uk": "Учасник тоді недоступний"},
    "conflict.over_capacity": {
        "en": "More meetings than tables",
        "uk": "Зустрічей більше, ніж столів",
    },
    "conflict.table_clash": {
        "en": "Two meetings at one table",
        "uk": "Дві зустрічі за одним столом",
    },
    "conflict.vetoed": {"en": "Vetoed (“no thanks”)", "uk": "Вето («ні, дякую»)"},
    "conflict.not_allowed": {
        "en": "Against the session's rules",
        "uk": "Суперечить правилам сесії",
    },
    "conflict.over_max": {"en": "Above the maximum", "uk": "Понад максимум"},
    "conflict.under_min": {"en": "Below the minimum", "uk": "Нижче мінімуму"},
    "conflict.withdrawn": {"en": "A participant withdrew", "uk": "Учасник вибув"},
    # members who left the service, on the session pages
    "sessions.withdrawn_badge": {"en": "withdrew", "uk": "вибув"},
    "sessions.withdrawn_heading": {
        "en": "Members who left the service",
        "uk": "Учасники, що вийшли із сервісу",
    },
    "sessions.withdrawn_item": {
        "en": "{name} withdrew after the agenda was published: {count} planned meetings "
        "with it are flagged.",
        "uk": "{name}: учасник вибув після публікації розкладу; позначено заплановані "
        "зустрічі з ним ({count}).",
    },
    "sessions.withdrawn_hint": {
        "en": "Its partners see in their agendas that it withdrew. Record these meetings as not "
        "held on the Outcomes tab, or reopen the agenda to re-plan: reopening takes the "
        "withdrawn participants out.",
        "uk": "Партнери бачать у своїх розкладах, що він вибув. Позначте ці зустрічі як такі, "
        "що не відбулися, на вкладці «Результати» або знову відкрийте розклад, щоб "
        "перепланувати: тоді учасники, що вибули, вилучаються.",
    },
    "sessions.vacated_item": {
        "en": "Slot {slot}, table {table}: the meeting of {name} is off, the partner's data "
        "was erased.",
        "uk": "Слот {slot}, стіл {table}: зустріч учасника {name} скасовано, дані партнера "
        "видалено.",
    },
    "dashboard.sessions": {"en": "Matchmaking sessions", "uk": "B2B-сесії"},
    "dashboard.sessions_note": {
        "en": "Sessions: {count}. Meetings asked for in the wish lists, put on an agenda, and "
        "recorded as held.",
        "uk": "Сесій: {count}. Зустрічі, про які просили в побажаннях, внесені до розкладу, і "
        "ті, що відбулися.",
    },
    "dashboard.meetings_requested": {"en": "Meetings requested", "uk": "Запитано зустрічей"},
    "dashboard.meetings_accepted": {"en": "Accepted (on an agenda)", "uk": "Прийнято (у розкладі)"},
    "dashboard.meetings_held": {"en": "Held", "uk": "Відбулося"},
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


def filter_problem(problem: FilterProblem, language: str) -> str:
    """Return the message of a refused filter value in `language`, the field's name first.

    The same words as the API's and the command line's (:func:`matcher.filters.resolve_filters`),
    with the same closest valid value (or the allowed ones), translated.
    """
    vocabulary = FILTER_FIELDS.get(problem.field, "")
    field_key = f"filter.field.{problem.field}"
    field = translate(field_key, language) if field_key in MESSAGES else problem.field
    noun_key = f"filter.noun.{problem.field}"
    if vocabulary is None:
        guess = geography.suggest_country(problem.value)
        key = "filter.country_guess" if guess else "filter.country_shape"
        message = translate(key, language, value=problem.value, guess=guess)
    elif vocabulary and noun_key in MESSAGES:
        taxonomy = load_taxonomy()
        noun = translate(noun_key, language)
        guess = taxonomy.closest(vocabulary, problem.value)
        if guess:
            message = translate(
                "filter.tag_guess", language, value=problem.value, noun=noun, guess=guess
            )
        else:
            allowed = ", ".join(taxonomy.ids(vocabulary))
            message = translate(
                "filter.tag_allowed", language, value=problem.value, noun=noun, allowed=allowed
            )
    else:
        # A problem these messages don't know (an unknown filter name): the engine's words.
        message = problem.message
    return translate("filter.problem", language, field=field, message=message)
