"""Data tables of the fictional cluster generator (:mod:`matcher.datasets.generator`).

Weights are relative. Compact strings are parsed by :func:`weights`: ``"a:3 b:1.5 c"`` means
``{"a": 3.0, "b": 1.5, "c": 1.0}``. Every name piece here is invented for the generator; any
resemblance to a real organisation is coincidental.
"""

# fmt: off
from __future__ import annotations

HOME_NETWORK = "kharkiv-fashion-cluster"


def weights(spec: str) -> dict[str, float]:
    """Parse ``"id:weight id2:weight2 id3"`` into a dict of weights (1 when not given)."""
    out = {}
    for item in spec.split():
        key, _, value = item.partition(":")
        out[key] = float(value) if value else 1.0
    return out


# Value-chain roles: org_type, name family, kind (producer: capacity and MOQ; supplier: MOQ;
# other: neither), weight in the home cluster, weight abroad, median employees, then the weights of
# offers, seeks, products, partnership types and NACE codes.
ROLES = {
    "designer_brand": ("designer_brand", "design", "other", 16, 8, 6,
        "fashion_design:10 technical_design:4 marketing_branding:4 3d_design:1.5 e_commerce:2",
        ("sewing:7 knitwear_production:3 pattern_making:4 sampling:4 small_batch_production:5 "
        "woven_fabric_supply:3 knit_fabric_supply:2 trims_supply:2 photo_content:1.5"),
        "womenswear:6 menswear:3 childrenswear:2 eveningwear:2 accessories:2 outerwear:2 denim:1 knitwear:1.5",
        "manufacturing_agreement:4 licensing:2 distribution_agreement:2 commercial_agency:1 joint_export:1",
        "14.13:3 74.10:2 14.19"),
    "garment_factory": ("manufacturer", "sew", "producer", 20, 14, 60,
        ("sewing:10 cutting:5 private_label:5 full_package_production:4 small_batch_production:3 "
        "quality_control:2 sampling:1.5"),
        ("woven_fabric_supply:6 knit_fabric_supply:4 trims_supply:5 wholesale_distribution:4 "
        "export_services:3 fashion_design:3 packaging_supply:1.5 logistics:1"),
        "womenswear:5 menswear:4 outerwear:4 childrenswear:3 denim:1.5 sportswear:2 eveningwear:1.5",
        "manufacturing_agreement:5 subcontracting:5 joint_export:1.5 supplier_agreement:1",
        "14.13:4 14.14:2 14.19:2"),
    "knitwear_factory": ("manufacturer", "knit", "producer", 12, 9, 45,
        "knitwear_production:10 small_batch_production:4 private_label:5 sampling:1.5",
        "yarn_supply:8 trims_supply:3 fashion_design:4 wholesale_distribution:4 dyeing_finishing:1.5",
        "knitwear:8 hosiery:2 sportswear:2 childrenswear:2 lingerie:1.5 accessories:1",
        "manufacturing_agreement:5 subcontracting:3 supplier_agreement:2",
        "14.39:4 14.31 14.19"),
    "workwear_factory": ("manufacturer", "sew", "producer", 7, 4, 80,
        "sewing:10 cutting:4 full_package_production:4 quality_control:3 embroidery:1.5",
        "woven_fabric_supply:7 trims_supply:4 testing_certification:4 wholesale_distribution:3 export_services:2",
        "workwear:8 protective_clothing:5 medical_textiles:3",
        "manufacturing_agreement:5 supplier_agreement:3 subcontracting:2",
        "14.12:4 14.19"),
    "leather_workshop": ("manufacturer", "sew", "producer", 5, 5, 20,
        "leather_goods_production:8 footwear_production:5 small_batch_production:4 private_label:2",
        "leather_supply:8 trims_supply:4 fashion_design:3 e_commerce:2 wholesale_distribution:2",
        "bags_leather_goods:7 footwear:6 accessories:3",
        "manufacturing_agreement:4 subcontracting:2 distribution_agreement:2",
        "15.12:2 15.20:2"),
    "weaving_mill": ("textile_producer", "tex", "producer", 3, 6, 120,
        "weaving:9 woven_fabric_supply:9 textile_printing:1",
        "yarn_supply:9 dyeing_finishing:4 wholesale_distribution:2 export_services:2",
        "fabrics:9 home_textiles:4 technical_textiles:3 denim:1.5",
        "supplier_agreement:6 joint_venture:1 technical_cooperation:2",
        "13.20:4 13.92 13.96"),
    "knitting_mill": ("textile_producer", "knit", "producer", 3, 5, 70,
        "fabric_knitting:9 knit_fabric_supply:9",
        "yarn_supply:9 dyeing_finishing:5 testing_certification:1.5",
        "fabrics:9 sportswear:2 lingerie:1",
        "supplier_agreement:6 technical_cooperation:2",
        "13.91:3 13.20"),
    "dyehouse": ("textile_producer", "tex", "producer", 2, 4, 50,
        "dyeing_finishing:9 textile_printing:6 garment_washing:4",
        "testing_certification:3 sustainability_consulting:3 logistics:2 recycling_upcycling:1",
        "fabrics:6 denim:3 home_textiles:2",
        "subcontracting:5 services_agreement:3 technical_cooperation:2",
        "13.30"),
    "spinning_mill": ("textile_producer", "tex", "producer", 1, 3, 150,
        "yarn_supply:10",
        "logistics:3 export_services:3 research_development:2 recycling_upcycling:2 wholesale_distribution:2",
        "yarn:10", "supplier_agreement:6 joint_venture:1", "13.10"),
    "trims_supplier": ("supplier", "trade", "supplier", 5, 5, 15,
        "trims_supply:10 packaging_supply:2",
        "logistics:4 wholesale_distribution:3 e_commerce:3 customs_brokerage:2",
        "accessories:5 womenswear:1 menswear:1",
        "supplier_agreement:6 distribution_agreement:2 commercial_agency:1",
        "46.41:3 32.99"),
    "fabric_trader": ("supplier", "trade", "supplier", 4, 5, 12,
        "woven_fabric_supply:8 knit_fabric_supply:6",
        "weaving:4 fabric_knitting:3 logistics:4 customs_brokerage:3",
        "fabrics:9 home_textiles:1", "supplier_agreement:6 distribution_agreement:3 commercial_agency:2",
        "46.41"),
    "packaging_supplier": ("supplier", "trade", "supplier", 2, 3, 25,
        "packaging_supply:10", "logistics:3 marketing_branding:3 recycling_upcycling:2",
        "accessories:2 footwear:1 bags_leather_goods:1", "supplier_agreement:6", "17.21:2 22.22"),
    "leather_supplier": ("supplier", "trade", "supplier", 1, 3, 30,
        "leather_supply:10", "logistics:3 export_services:3 testing_certification:2",
        "bags_leather_goods:5 footwear:5", "supplier_agreement:6 commercial_agency:1", "15.11:2 46.24"),
    "print_studio": ("service_provider", "service", "other", 4, 3, 8,
        "garment_printing:8 embroidery:6 textile_printing:2",
        "trims_supply:2 marketing_branding:3 e_commerce:2 knit_fabric_supply:2",
        "sportswear:3 accessories:2 childrenswear:2 workwear:2", "services_agreement:5 subcontracting:3",
        "18.12 13.99"),
    "logistics_company": ("service_provider", "service", "other", 4, 6, 40,
        "logistics:10 customs_brokerage:5 export_services:2", "software_it:3 marketing_branding:2 financing:1",
        "womenswear:1 fabrics:1 footwear:1", "services_agreement:6 commercial_agency:1", "52.29:3 49.41"),
    "content_studio": ("service_provider", "service", "other", 4, 3, 5,
        "photo_content:10 marketing_branding:6 showroom:1", "e_commerce:2 software_it:2 fashion_design:2",
        "womenswear:4 menswear:2 accessories:2 footwear:1", "services_agreement:6", "74.20:2 73.11"),
    "export_agency": ("service_provider", "service", "other", 3, 2, 6,
        "export_services:10 customs_brokerage:4 showroom:4 legal_ip:2 marketing_branding:2",
        "financing:2 logistics:3 wholesale_distribution:3",
        "womenswear:2 menswear:1 knitwear:1 footwear:1",
        "commercial_agency:5 services_agreement:4 joint_export:3", "70.22 46.18 82.99"),
    "testing_lab": ("service_provider", "service", "other", 1, 2, 20,
        "testing_certification:10 quality_control:6 sustainability_consulting:3",
        "research_development:3 software_it:2 training:2",
        "medical_textiles:2 protective_clothing:2 fabrics:3 childrenswear:2",
        "services_agreement:6 technical_cooperation:3", "71.20"),
    "it_company": ("service_provider", "service", "other", 2, 2, 15,
        "software_it:10 e_commerce:5 3d_design:3", "marketing_branding:2 financing:3 research_development:2",
        "womenswear:2 menswear:1 footwear:1", "services_agreement:5 licensing:2 technical_cooperation:2",
        "62.01:2 62.02"),
    "sustainability_consultancy": ("service_provider", "service", "other", 1, 2, 5,
        "sustainability_consulting:10 recycling_upcycling:4 testing_certification:2 training:2",
        "research_development:3 financing:2 marketing_branding:2",
        "fabrics:2 womenswear:1 home_textiles:1", "services_agreement:5 research_cooperation:2",
        "70.22 74.90"),
    "retailer_distributor": ("retailer_distributor", "trade", "other", 6, 10, 30,
        "wholesale_distribution:8 retail_stores:6 e_commerce:6 showroom:3",
        ("private_label:7 full_package_production:6 fashion_design:5 sewing:3 knitwear_production:3 "
        "logistics:2 photo_content:1.5"),
        "womenswear:5 menswear:4 childrenswear:3 knitwear:2 footwear:2 accessories:2 sportswear:2 lingerie:1",
        "distribution_agreement:6 commercial_agency:3 supplier_agreement:2 licensing:1 investment:1",
        "46.42:4 47.71:3 47.91:2"),
    "education_research": ("education_research", "edu", "other", 3, 2, 60,
        "training:10 research_development:7 3d_design:2 pattern_making:2 technical_design:1.5",
        "financing:4 testing_certification:2 software_it:2 fashion_design:2 sewing:1",
        "womenswear:2 fabrics:2 technical_textiles:1 knitwear:1",
        "research_cooperation:6 technical_cooperation:3 services_agreement:2", "85.59:3 85.42 72.19"),
    "cluster_organisation": ("cluster_organisation", "edu", "other", 1, 0.6, 8,
        "export_services:6 training:6 showroom:5 marketing_branding:4",
        "research_development:3 software_it:2 legal_ip:2 logistics:2 financing:3",
        "womenswear:2 knitwear:1 fabrics:1", "joint_export:5 research_cooperation:2 investment:2 technical_cooperation:2",
        "94.11:2 94.12"),
}

#: Capabilities added as noise to a seeks list (anyone may want them).
NOISE_SEEKS = "logistics marketing_branding export_services financing training e_commerce photo_content software_it legal_ip"

#: Certifications by quality tier (budget, mid, premium) and how many a member holds (min, max).
CERTIFICATIONS = ("iso_9001:2 wrap:1", "oeko_tex_100:3 iso_9001:3 amfori_bsci:2 wrap:1 grs:1 smeta:1",
                  "oeko_tex_100:4 gots:3 iso_9001:3 bluesign:2 amfori_bsci:2 iso_14001:2 grs:2 sa8000:1 smeta:1")
CERT_COUNTS = ((0, 1), (0, 2), (1, 4))
#: Minimum order (pieces) and capacity factor by tier: budget factories want big orders.
MOQ_MEDIAN = (1500, 300, 60)
CAPACITY_FACTOR = (1.4, 1.0, 0.5)
#: Pieces a month per employee of a producer, by name family.
OUTPUT_PER_EMPLOYEE = {"sew": 220, "knit": 300, "tex": 600}

# Networks: slug, {country: (cities, country weight)}, share of members, tier shares (budget,
# mid, premium), and role weights multiplied in for its specialisation.
HOME_CITIES = (  # English, Ukrainian, Russian, Ukrainian locative, Russian locative, weight
    ("Kharkiv", "Харків", "Харьков", "у Харкові", "в Харькове", 72),
    ("Kyiv", "Київ", "Киев", "у Києві", "в Киеве", 9),
    ("Lviv", "Львів", "Львов", "у Львові", "во Львове", 5),
    ("Ternopil", "Тернопіль", "Тернополь", "у Тернополі", "в Тернополе", 4),
    ("Dnipro", "Дніпро", "Днепр", "у Дніпрі", "в Днепре", 5),
    ("Poltava", "Полтава", "Полтава", "у Полтаві", "в Полтаве", 5),
)
HOME_TIERS = (0.4, 0.45, 0.15)
NETWORKS = (
    ("polish-fashion-cluster", {"PL": ("Łódź Warszawa Poznań Białystok Kalisz", 1)}, 14, (0.3, 0.5, 0.2),
     "garment_factory:1.5 retailer_distributor:1.3 knitwear_factory:1.2"),
    ("italian-textile-district", {"IT": ("Prato Biella Como Carpi Milano Treviso", 1)}, 14, (0.15, 0.45, 0.4),
     "weaving_mill:2 spinning_mill:2 knitwear_factory:1.5 designer_brand:1.5 dyehouse:1.5"),
    ("portugal-fashion-network", {"PT": ("Porto Guimarães Barcelos Braga Covilhã", 1)}, 10, (0.25, 0.5, 0.25),
     "knitwear_factory:2 garment_factory:1.5 knitting_mill:1.5 leather_workshop:1.3"),
    ("turkish-apparel-cluster", {"TR": ("İstanbul Bursa Denizli İzmir Gaziantep", 1)}, 16, (0.45, 0.4, 0.15),
     "garment_factory:1.8 dyehouse:1.5 weaving_mill:1.5 knitting_mill:1.5 fabric_trader:1.3"),
    ("german-textile-alliance", {"DE": ("Mönchengladbach Chemnitz Berlin München Hamburg", 1)}, 10,
     (0.1, 0.45, 0.45), "retailer_distributor:1.8 it_company:2 testing_lab:2 sustainability_consultancy:2"),
    ("baltic-fashion-network", {"LT": ("Kaunas Vilnius Alytus", 0.45), "LV": ("Rīga Ogre", 0.3),
                                "EE": ("Tallinn Tartu", 0.25)}, 8, (0.3, 0.5, 0.2),
     "knitwear_factory:1.3 logistics_company:1.5"),
    ("romanian-textile-cluster", {"RO": ("Iași Timișoara Bacău Bistrița Focșani", 1)}, 10, (0.45, 0.45, 0.1),
     "garment_factory:1.8 workwear_factory:1.3"),
    ("moldova-apparel-cluster", {"MD": ("Chișinău Bălți Cahul Orhei", 1)}, 5, (0.5, 0.4, 0.1),
     "garment_factory:2 knitwear_factory:1.3"),
    ("bulgarian-fashion-cluster", {"BG": ("Sofia Plovdiv Gabrovo Sliven Blagoevgrad", 1)}, 6, (0.45, 0.4, 0.15),
     "garment_factory:1.5 knitwear_factory:1.3 knitting_mill:1.3"),
    ("czech-textile-network", {"CZ": ("Brno Liberec Praha Zlín Náchod", 1)}, 6, (0.25, 0.5, 0.25),
     "weaving_mill:1.5 leather_workshop:1.5 testing_lab:1.3"),
    ("slovak-fashion-network", {"SK": ("Bratislava Trenčín Prešov Žilina", 1)}, 4, (0.3, 0.5, 0.2),
     "garment_factory:1.3 leather_workshop:1.3"),
    ("hungarian-apparel-cluster", {"HU": ("Budapest Szeged Győr Debrecen", 1)}, 5, (0.3, 0.5, 0.2),
     "garment_factory:1.3 workwear_factory:1.3"),
    ("spanish-fashion-cluster", {"ES": ("Barcelona Madrid Valencia Elche", 1)}, 10, (0.25, 0.45, 0.3),
     "retailer_distributor:1.5 leather_workshop:1.5"),
    ("french-textile-network", {"FR": ("Lyon Roubaix Paris Troyes", 1)}, 10, (0.1, 0.45, 0.45),
     "designer_brand:1.8 weaving_mill:1.3"),
    ("dutch-fashion-network", {"NL": ("Amsterdam Tilburg Arnhem", 1)}, 6, (0.15, 0.5, 0.35),
     "retailer_distributor:2 designer_brand:1.3 logistics_company:1.5"),
    ("austrian-textile-cluster", {"AT": ("Dornbirn Wien Graz", 1)}, 5, (0.1, 0.5, 0.4),
     "weaving_mill:1.5 knitting_mill:1.3"),
)
#: The networks' display names in English and Ukrainian (written to the sample's networks.csv).
NETWORK_NAMES = {
    HOME_NETWORK: ("Kharkiv Fashion Cluster", "Харківський фешн-кластер"),
    "polish-fashion-cluster": ("Polish Fashion Cluster", "Польський фешн-кластер"),
    "italian-textile-district": ("Italian Textile District", "Італійський текстильний округ"),
    "portugal-fashion-network": ("Portugal Fashion Network", "Португальська фешн-мережа"),
    "turkish-apparel-cluster": ("Turkish Apparel Cluster", "Турецький кластер одягу"),
    "german-textile-alliance": ("German Textile Alliance", "Німецький текстильний альянс"),
    "baltic-fashion-network": ("Baltic Fashion Network", "Балтійська фешн-мережа"),
    "romanian-textile-cluster": ("Romanian Textile Cluster", "Румунський текстильний кластер"),
    "moldova-apparel-cluster": ("Moldova Apparel Cluster", "Молдовський кластер одягу"),
    "bulgarian-fashion-cluster": ("Bulgarian Fashion Cluster", "Болгарський фешн-кластер"),
    "czech-textile-network": ("Czech Textile Network", "Чеська текстильна мережа"),
    "slovak-fashion-network": ("Slovak Fashion Network", "Словацька фешн-мережа"),
    "hungarian-apparel-cluster": ("Hungarian Apparel Cluster", "Угорський кластер одягу"),
    "spanish-fashion-cluster": ("Spanish Fashion Cluster", "Іспанський фешн-кластер"),
    "french-textile-network": ("French Textile Network", "Французька текстильна мережа"),
    "dutch-fashion-network": ("Dutch Fashion Network", "Нідерландська фешн-мережа"),
    "austrian-textile-cluster": ("Austrian Textile Cluster", "Австрійський текстильний кластер"),
}

#: Neighbouring markets (for regional reach and for links across a border).
NEIGHBOURS = {
    "UA": "PL MD RO SK HU", "PL": "DE CZ SK LT UA", "IT": "AT FR SI DE", "PT": "ES FR",
    "TR": "BG RO GE", "DE": "PL CZ AT NL FR", "LT": "LV PL EE", "LV": "LT EE", "EE": "LV LT FI",
    "RO": "MD HU BG UA", "MD": "RO UA", "BG": "RO TR RS", "CZ": "DE PL SK AT", "SK": "CZ HU PL AT",
    "HU": "SK RO AT SI", "ES": "PT FR IT", "FR": "BE DE ES IT", "NL": "BE DE FR", "AT": "DE IT CZ HU",
}
#: Markets further away, for international reach.
FAR_MARKETS = "US:4 GB:4 CA:2 AE:2 JP:1 KZ:1 IL:1 SE:2 DK:1 CH:2 FR:3 DE:3 NL:2 IT:2 ES:2 BE:1"
#: Markets home members want to enter.
HOME_TARGETS = "PL:6 DE:6 IT:3 LT:3 RO:3 MD:2 FR:3 NL:3 CZ:3 US:3 SK:2 GB:2 AT:1 EE:1 LV:1 HU:1 BG:1 PT:1 ES:1 TR:1"
#: Languages by country (the national ones; English is added by the generator).
COUNTRY_LANGUAGES = {
    "UA": "uk ru", "PL": "pl", "IT": "it", "PT": "pt", "TR": "tr", "DE": "de", "LT": "lt", "LV": "lv",
    "EE": "et", "RO": "ro", "MD": "ro ru", "BG": "bg", "CZ": "cs", "SK": "sk", "HU": "hu", "ES": "es",
    "FR": "fr", "NL": "nl", "AT": "de",
}
#: Home targets named in Ukrainian and Russian descriptions (locative / "to" forms).
COUNTRY_NAMES = {
    "UA": ("Україні", "Украине", "Ukraine"),
    "PL": ("Польщі", "Польше", "Poland"), "DE": ("Німеччині", "Германии", "Germany"),
    "IT": ("Італії", "Италии", "Italy"), "LT": ("Литві", "Литве", "Lithuania"),
    "RO": ("Румунії", "Румынии", "Romania"), "MD": ("Молдові", "Молдове", "Moldova"),
    "FR": ("Франції", "Франции", "France"), "NL": ("Нідерландах", "Нидерландах", "the Netherlands"),
    "CZ": ("Чехії", "Чехии", "Czechia"), "US": ("США", "США", "the United States"),
    "SK": ("Словаччині", "Словакии", "Slovakia"), "GB": ("Великій Британії", "Великобритании", "the United Kingdom"),
    "AT": ("Австрії", "Австрии", "Austria"), "EE": ("Естонії", "Эстонии", "Estonia"),
    "LV": ("Латвії", "Латвии", "Latvia"), "HU": ("Угорщині", "Венгрии", "Hungary"),
    "BG": ("Болгарії", "Болгарии", "Bulgaria"), "PT": ("Португалії", "Португалии", "Portugal"),
    "ES": ("Іспанії", "Испании", "Spain"), "TR": ("Туреччині", "Турции", "Türkiye"),
}

# ---------------------------------------------------------------------------------------------
# Names: per naming style, pools of pieces and frames per name family ("any" is the fallback).
# A frame names its pool in braces; the generator picks a frame, then a piece of its pool.
# ---------------------------------------------------------------------------------------------
_UK_SURNAMES = ("Коваленко Бондаренко Ткаченко Кравчук Мельничук Савчук Гончаренко Литвиненко Руденко "
                "Кучер Марченко Ярошенко Павлюк Гаврилюк Тимошенко Левченко Сидоренко Олійник Демченко Зінченко")
_RU_SURNAMES = ("Коваленко Бондаренко Ткаченко Кравчук Мельничук Савчук Гончаренко Литвиненко Руденко "
                "Кучер Марченко Ярошенко Павлюк Гаврилюк Тимошенко Левченко Сидоренко Олейник Демченко Зинченко")
_LATIN_SURNAMES = ("Kovalenko Bondarenko Tkachenko Kravchuk Melnychuk Savchuk Honcharenko Lytvynenko Rudenko "
                   "Kucher Marchenko Yaroshenko Pavliuk Havryliuk Tymoshenko Levchenko Sydorenko Oliinyk")
NAME_STYLES = {
    "uk": ({"adj": "Слобожанська Харківська Нова Перша Східна Полтавська Золота Весняна Лугова Степова",
            "root": "Слобож Харків Укр Полтав Дніпро Лан Сівер Лугань Мерчик Оскол",
            "word": "Веселка Калина Мрія Ліра Зоря Вербена Барвінок Сокіл Легенда Мальва Ярина Оберіг "
                    "Світанок Тополя Ластівка Злагода",
            "fio": ("ФОП ", _UK_SURNAMES, "О. М. А. В. І. П. Н. С. Т. Г. Л. Ю. Д. В. К. Р.")},
           {"sew": "ТОВ «{adj} швейна фабрика»|ТОВ «{root}одяг»|ПрАТ «{root}швейпром»|ПП «{word}»|{fio}",
            "knit": "ТОВ «{root}трикотаж»|ТОВ «{adj} трикотажна фабрика»|ПП «{word}»|{fio}",
            "tex": "ПрАТ «{root}текстиль»|ТОВ «{adj} текстильна мануфактура»|ТОВ «{word}»",
            "design": "{fio}|Студія «{word}»|ТОВ «{word}»|Дизайн-студія «{word}»",
            "trade": "ТОВ «{adj} торгова компанія»|ТОВ «{root}текстильторг»|ТОВ «{word}»|{fio}",
            "service": "ТОВ «{word}»|{fio}|Агенція «{word}»|ТОВ «{adj} сервісна компанія»",
            "edu": "{adj} школа дизайну|{adj} академія моди|Навчальний центр «{word}»|ГО «{word}»"}),
    "ru": ({"adj": "Слобожанская Харьковская Новая Первая Восточная Полтавская Золотая Весенняя Луговая",
            "root": "Слобож Харьков Укр Полтав Днепр Лан Север Мерчик Оскол",
            "word": "Радуга Калина Мечта Лира Заря Вербена Сокол Легенда Мальва Аврора Рассвет Ласточка",
            "fio": ("ФЛП ", _RU_SURNAMES, "О. М. А. В. И. П. Н. С. Т. Г. Л. Ю. Д. В. К. Р.")},
           {"sew": "ООО «{adj} швейная фабрика»|ООО «{root}одежда»|ЧАО «{root}швейпром»|ЧП «{word}»|{fio}",
            "knit": "ООО «{root}трикотаж»|ООО «{adj} трикотажная фабрика»|ЧП «{word}»|{fio}",
            "tex": "ЧАО «{root}текстиль»|ООО «{adj} текстильная мануфактура»|ООО «{word}»",
            "design": "{fio}|Студия «{word}»|ООО «{word}»",
            "trade": "ООО «{adj} торговая компания»|ООО «{root}текстильторг»|ООО «{word}»|{fio}",
            "service": "ООО «{word}»|{fio}|Агентство «{word}»",
            "edu": "{adj} школа дизайна|Учебный центр «{word}»|ОО «{word}»"}),
    "latin": ({"word": "Sloboda Kalyna Mriia Lira Zoria Barvinok Sokil Veselka Skhid Polyana Yaryna Oberih "
                       "Svitanok Topolia Lastivka Step",
               "fio": ("FOP ", _LATIN_SURNAMES, "O. M. A. V. I. P. N. S. T. H. L. Y.")},
              {"sew": "{word} Garments LLC|{word} Sewing Studio|{word} Apparel",
               "knit": "{word} Knit LLC|{word} Knitwear", "tex": "{word} Textile LLC|{word} Mills",
               "design": "{word} Studio|{word} Atelier|{fio}", "trade": "{word} Trade LLC|{word} Supply",
               "service": "{word} Services|{word} Agency|{fio}", "edu": "{word} Fashion School|{word} Lab"}),
    "PL": ({"x": ("Bor Wis Lip Jant Zor Mazo Kor Wer Sos Bia Olsz Grab Rad Mił Stok", "ex owa ena tex ia mar ol anka ica ar")},
           {"sew": "Szwalnia {x}|Zakład Odzieżowy {x} Sp. z o.o.|{x} Sp. z o.o.", "knit": "Dzianiny {x}|{x} Knit Sp. z o.o.",
            "tex": "Tkalnia {x}|{x} Tekstylia S.A.|Farbiarnia {x}", "design": "Pracownia Mody {x}|Studio {x}",
            "trade": "Hurtownia {x}|{x} Dystrybucja Sp. z o.o.", "service": "{x} Usługi Sp. z o.o.|Agencja {x}|{x} Logistyka",
            "edu": "Akademia Mody {x}|Stowarzyszenie {x}"}),
    "IT": ({"x": ("Bel Cor Val Ros Mon San Lan Gal Tor Ver Bru Cas Pog Fior Nard", "andi etti ini ucci ato ello one ardi otti")},
           {"sew": "Confezioni {x} S.r.l.|{x} Abbigliamento S.r.l.|Laboratorio {x}", "knit": "Maglificio {x}|Maglieria {x} S.r.l.",
            "tex": "Lanificio {x}|Tessitura {x} S.p.A.|Tintoria {x}", "design": "Atelier {x}|{x} Studio Moda",
            "trade": "{x} Forniture Tessili S.r.l.|{x} Distribuzione", "service": "{x} Servizi S.r.l.|{x} Consulting",
            "edu": "Istituto Moda {x}|Consorzio {x}"}),
    "PT": ({"x": ("Ribe Sil Cos Mont Val Cam Pin Oli Sou Mour Tav Bar", "ira eiro ada inho osa ães al ela")},
           {"sew": "Confeções {x}, Lda.|{x} Vestuário, S.A.", "knit": "Malhas {x}, Lda.|Tricots {x}",
            "tex": "Têxteis {x}, S.A.|Tecelagem {x}|Tinturaria {x}", "design": "Atelier {x}|{x} Design Studio",
            "trade": "{x} Acessórios, Lda.|{x} Comércio Têxtil", "service": "{x} Serviços, Lda.|{x} Logística",
            "edu": "Escola de Moda {x}|Associação {x}"}),
    "TR": ({"x": ("Ak Kar Yıl Ege Dem Öz Tun Ser Can Ay Kır Bal Gök Uz", "su dız tekin han soy er kaya ova taş pınar")},
           {"sew": "{x} Konfeksiyon Ltd. Şti.|{x} Giyim San. A.Ş.", "knit": "{x} Örme Ltd. Şti.|{x} Triko A.Ş.",
            "tex": "{x} Tekstil A.Ş.|{x} Dokuma San.|{x} Boya Apre", "design": "{x} Tasarım|Atölye {x}",
            "trade": "{x} Aksesuar Tic. Ltd.|{x} Dış Ticaret", "service": "{x} Lojistik A.Ş.|{x} Danışmanlık",
            "edu": "{x} Moda Akademisi|{x} Derneği"}),
    "DE": ({"x": ("Lind Berg Hof Stein Roth Wald Falk Sonn Eich Brun Hain Ulm", "mann er hof feld bach au ing ried")},
           {"sew": "{x} Bekleidung GmbH|Näherei {x}", "knit": "Strickerei {x}|{x} Strickwaren GmbH",
            "tex": "Weberei {x}|{x} Textil GmbH|Färberei {x}", "design": "Modeatelier {x}|{x} Design Studio",
            "trade": "{x} Handel GmbH|{x} Zubehör KG", "service": "{x} Logistik GmbH|{x} Beratung",
            "edu": "Modeschule {x}|{x} Textilinstitut"}),
    "LT": ({"x": ("Gin Lin Aust Vil Rut Dain Žal Ras Giedr", "ija ė as ita onis ava")}, {"any": "UAB {x}|{x} Textile UAB"}),
    "LV": ({"x": ("Lin Dzin Rit Vel Zel Aus Liep", "a e s ums ava")}, {"any": "SIA {x}|SIA {x} Tekstils"}),
    "EE": ({"x": ("Tal Lin Koid Meri Sul Kuu Vir", "mo e ja tex or")}, {"any": "{x} OÜ|{x} Tekstiil OÜ|{x} AS"}),
    "RO": ({"x": ("Ar Dor Mur Flor Crin Sol Teo Vio Mir", "ina ex ana ița ex tex esa")},
           {"sew": "SC {x} Confecții SRL|{x} Textile SRL", "knit": "{x} Tricotaje SRL", "tex": "{x} Țesătorie SA",
            "design": "Atelier {x}|{x} Design SRL", "any": "{x} SRL|{x} Distribuție SRL|{x} Consulting SRL"}),
    "MD": ({"x": ("Nistr Cod Prut Dor Vie Lum Ial", "ex ina ana tex or")}, {"any": "{x} SRL|Î.M. {x} SRL|{x} Confecții SA"}),
    "BG": ({"x": ("Rod Bal Stru Mar Vel Zla Ril Tun Yan", "ex a ina ov ko tex ica")}, {"any": "{x} EOOD|{x} OOD|{x} Textil AD"}),
    "CZ": ({"x": ("Lib Vlt Bran Kar Mor Jas Dub Hor", "ex a ana ov tex in ice")},
           {"sew": "Oděvní závod {x}|{x} s.r.o.", "any": "{x} s.r.o.|{x} Textil a.s."}),
    "SK": ({"x": ("Tat Vah Hron Orav Zob Jav Pop", "ex a tex ana in ia")}, {"any": "{x} s.r.o.|{x} Textil a.s."}),
    "HU": ({"x": ("Tisz Bal Kör Dun Mát Ság Hév Bak", "a tex ex i os ár")}, {"any": "{x} Kft.|{x} Ruházati Kft.|{x} Textil Zrt."}),
    "ES": ({"x": ("Alb Mir Sol Ter Cal Vel Montes Ros", "era ado ina ejo ar osa")},
           {"any": "{x} S.L.|Confecciones {x} S.L.|Tejidos {x} S.A."}),
    "FR": ({"x": ("Bel Mar Lor Val Cor Roch Font Brou", "ier ette ois ard ane elle")}, {"any": "{x} SAS|Atelier {x}|Tissages {x} SARL"}),
    "NL": ({"x": ("Van Dijk Berg Hol Veld Zee Bos Ree", "stra ink man hof sma en")}, {"any": "{x} B.V.|{x} Textiles B.V.|Atelier {x}"}),
}
NAME_STYLES["AT"] = NAME_STYLES["DE"]

# ---------------------------------------------------------------------------------------------
# Descriptions. Openers say what an organisation is ("|" separates variants); phrases name
# capabilities and products so that the taxonomy keywords find them (see matcher.text).
# ---------------------------------------------------------------------------------------------
OPENERS = {  # role: (Ukrainian, Russian, English)
    "designer_brand": ("Дизайнерська студія|Бренд одягу|Авторська марка одягу",
                       "Дизайнерская студия|Бренд одежды|Авторская марка одежды",
                       "Fashion design studio|Independent designer brand|Designer label"),
    "garment_factory": ("Швейна фабрика|Швейне підприємство|Виробник одягу",
                        "Швейная фабрика|Швейное предприятие|Производитель одежды",
                        "Garment factory|Apparel manufacturer|Sewing factory"),
    "knitwear_factory": ("Трикотажна фабрика|Виробник трикотажу", "Трикотажная фабрика|Производитель трикотажа",
                         "Knitwear factory|Knitwear manufacturer"),
    "workwear_factory": ("Виробник спецодягу|Швейна фабрика робочого одягу",
                         "Производитель спецодежды|Швейная фабрика рабочей одежды",
                         "Workwear manufacturer|Uniform factory"),
    "leather_workshop": ("Майстерня шкіргалантереї|Виробник взуття та сумок",
                         "Мастерская кожгалантереи|Производитель обуви и сумок",
                         "Leather goods workshop|Footwear and bag maker"),
    "weaving_mill": ("Ткацька фабрика|Текстильне підприємство", "Ткацкая фабрика|Текстильное предприятие",
                     "Weaving mill|Woven textile mill"),
    "knitting_mill": ("Виробник трикотажного полотна|В'язальне виробництво",
                      "Производитель трикотажного полотна|Вязальное производство",
                      "Circular knitting mill|Knitted fabric mill"),
    "dyehouse": ("Фарбувальне виробництво|Оздоблювальна фабрика", "Красильное производство|Отделочная фабрика",
                 "Dye house|Textile finishing plant"),
    "spinning_mill": ("Прядильна фабрика|Виробник пряжі", "Прядильная фабрика|Производитель пряжи",
                      "Spinning mill|Yarn producer"),
    "trims_supplier": ("Постачальник фурнітури|Склад швейної фурнітури", "Поставщик фурнитуры|Склад швейной фурнитуры",
                       "Trims supplier|Buttons, zips and labels supplier"),
    "fabric_trader": ("Оптовий постачальник тканин|Склад тканин", "Оптовый поставщик тканей|Склад тканей",
                      "Fabric wholesaler|Fabric trading house"),
    "packaging_supplier": ("Виробник пакування|Постачальник пакування", "Производитель упаковки|Поставщик упаковки",
                           "Packaging producer|Packaging supplier"),
    "leather_supplier": ("Постачальник шкіри|Шкіряний склад", "Поставщик кожи|Кожевенный склад",
                         "Leather supplier|Tannery and leather trader"),
    "print_studio": ("Студія друку та вишивки|Майстерня вишивки", "Студия печати и вышивки|Мастерская вышивки",
                     "Print and embroidery studio|Screen printing workshop"),
    "logistics_company": ("Логістична компанія|Транспортно-логістичний оператор", "Логистическая компания|Транспортный оператор",
                          "Logistics company|Freight forwarder"),
    "content_studio": ("Фото- і відеостудія|Контент-студія для брендів одягу", "Фото- и видеостудия|Контент-студия для брендов",
                       "Photo and video studio|Content studio for fashion brands"),
    "export_agency": ("Агенція експортного супроводу|Консалтинг із ЗЕД", "Агентство экспортного сопровождения|Консалтинг по ВЭД",
                      "Export management agency|Foreign trade consultancy"),
    "testing_lab": ("Випробувальна лабораторія|Лабораторія контролю якості текстилю",
                    "Испытательная лаборатория|Лаборатория контроля качества текстиля",
                    "Textile testing lab|Quality and certification lab"),
    "it_company": ("ІТ-компанія|Розробник програмного забезпечення для fashion-бізнесу",
                   "ИТ-компания|Разработчик программного обеспечения для fashion-бизнеса",
                   "Software company|PLM and ERP software vendor"),
    "sustainability_consultancy": ("Консалтинг зі сталого розвитку|Екоконсалтинг", "Консалтинг по устойчивому развитию|Экоконсалтинг",
                                   "Sustainability consultancy|ESG and compliance advisers"),
    "retailer_distributor": ("Мережа магазинів одягу|Оптово-роздрібна компанія|Дистриб'ютор одягу",
                             "Сеть магазинов одежды|Оптово-розничная компания|Дистрибьютор одежды",
                             "Fashion retailer|Wholesale distributor|Multi-brand retail chain"),
    "education_research": ("Навчальний центр|Школа дизайну і технологій одягу", "Учебный центр|Школа дизайна и технологий одежды",
                           "Fashion school|Textile research institute"),
    "cluster_organisation": ("Асоціація підприємств легкої промисловості|Галузеве об'єднання",
                             "Ассоциация предприятий лёгкой промышленности|Отраслевое объединение",
                             "Industry association|Light-industry business association"),
}
#: Leads of the offer and the need sentences ("|" separates variants).
OFFER_LEADS = ("Наші напрями:|Наша спеціалізація:|Що ми пропонуємо:|Основні послуги:",
               "Наши направления:|Наша специализация:|Что мы предлагаем:|Основные услуги:",
               "We offer|Our services:|We provide|Specialised in")
SEEK_LEADS = ("Шукаємо|Шукаємо також|Зараз шукаємо|Для розвитку шукаємо",
              "Ищем|Также ищем|Сейчас ищем|Для развития ищем",
              "We are looking for|Looking for|We seek|We are in search of")
#: How the need sentence names capabilities without a natural phrase.
OTHER_NEEDS = ("партнерів за напрямами:", "партнёров по направлениям:", "partners for")
AND_WORDS = (" і ", " и ", " and ")
#: Phrases where a label reads badly or misses its tag (else the label is used, lower-cased).
PHRASES = {
    "fashion_design": ("дизайн одягу", "дизайн одежды", "fashion design"),
    "technical_design": ("технічний дизайн і техпакети", "технический дизайн и техпакеты", "technical design and tech packs"),
    "garment_printing": ("друк на виробах", "печать на изделиях", "screen printing and DTG on garments"),
    "photo_content": ("фото- і відеозйомка", "фото- и видеосъёмка", "photo and video content production"),
    "knit_fabric_supply": ("трикотажне полотно", "трикотажное полотно", "knitted fabric and jersey"),
    "trims_supply": ("фурнітура", "фурнитура", "trims and accessories supply"),
    "software_it": ("програмне забезпечення", "программное обеспечение", "software (PLM, ERP)"),
}
#: Natural phrases of common needs (in the accusative), used in need sentences.
SEEK_PHRASES = {
    "technical_design": ("технічний дизайн і техпакети", "технический дизайн и техпакеты", "technical design and tech packs"),
    "yarn_supply": ("постачальника пряжі", "поставщика пряжи", "a yarn supplier"),
    "woven_fabric_supply": ("постачальника тканин", "поставщика тканей", "a woven fabric supplier"),
    "knit_fabric_supply": ("постачальника трикотажного полотна", "поставщика трикотажного полотна",
                           "a knitted fabric supplier"),
    "trims_supply": ("постачальника фурнітури", "поставщика фурнитуры", "a trims supplier (buttons, zips, labels)"),
    "leather_supply": ("постачальника шкіри", "поставщика кожи", "a leather supply partner"),
    "packaging_supply": ("виробника пакування", "производителя упаковки", "a packaging supplier"),
    "sewing": ("швейне виробництво", "швейное производство", "a sewing (CMT) factory"),
    "knitwear_production": ("виробника трикотажних виробів", "производителя трикотажных изделий",
                            "a knitwear production partner"),
    "wholesale_distribution": ("оптових покупців і дистриб'юторів", "оптовых покупателей и дистрибьюторов",
                               "wholesale and distribution partners"),
    "fashion_design": ("дизайнера одягу", "дизайнера одежды", "a fashion designer"),
    "private_label": ("виробника під маркою замовника", "производство под маркой заказчика", "private label production"),
    "logistics": ("логістичного партнера", "логистического партнёра", "a logistics partner"),
}
#: Extra sentences of the richer sample descriptions, per language (Ukrainian, Russian, English).
EXTRA_SENTENCES = {
    "products": ("Асортимент: {}.", "Ассортимент: {}.", "Product lines: {}."),
    "capacity": ("Потужність — до {} виробів на місяць.", "Мощность — до {} изделий в месяц.",
                 "Capacity: up to {} pieces a month."),
    "moq": ("Мінімальне замовлення від {} виробів.", "Минимальный заказ от {} изделий.", "Minimum order {} pieces."),
    "certifications": ("Сертифікати: {}.", "Сертификаты: {}.", "Certified: {}."),
    "targets": ("Розвиваємо продажі в {}.", "Развиваем продажи в {}.", "Expanding sales to {}."),
    "team": ("Кількість працівників: {}.", "Количество сотрудников: {}.", "Staff: {}."),
    "founded": ("Працюємо з {} року.", "Работаем с {} года.", "Founded in {}."),
}
