"""A small hand-built cluster whose right answers are obvious, for the tests of every package
(the fixtures of tests/conftest.py are built from it; tests that need the rows themselves, to
write a file, import them from here)."""

from __future__ import annotations

import csv
from pathlib import Path

from matcher.profiles import Link

HOME = "kharkiv-fashion-cluster"

# Each row: what a member is, offers, seeks; the right partners follow from complementarity.
CLUSTER = [
    {
        "id": "designer",
        "name": "Студія Весна",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "designer_brand",
        "offers": "fashion_design;marketing_branding",
        "seeks": "knitwear_production",
        "products": "womenswear;knitwear",
        "markets_present": "UA",
        "markets_target": "PL;DE",
        "languages": "uk;en",
        "capacity_units_month": "300",
        "description": "Дизайн жіночого трикотажу. Шукаємо виробництво трикотажних виробів.",
    },
    {
        "id": "knit-factory",
        "name": "Харківтрикотаж",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "knitwear_production;small_batch_production",
        "seeks": "fashion_design;yarn_supply",
        "products": "knitwear;womenswear",
        "markets_present": "UA;PL",
        "languages": "uk;ru",
        "certifications": "oeko_tex_100",
        "min_order_qty": "200",
        "capacity_units_month": "5000",
    },
    {
        "id": "rival-designer",
        "name": "Бренд Осінь",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "designer_brand",
        "offers": "fashion_design;marketing_branding",
        "seeks": "knitwear_production;fashion_design",
        "products": "womenswear;knitwear",
        "markets_present": "UA",
        "markets_target": "PL;DE",
        "languages": "uk",
    },
    {
        "id": "sewing-factory",
        "name": "Слобожанська швейна фабрика",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "sewing;cutting;private_label",
        "seeks": "woven_fabric_supply;fashion_design",
        "products": "womenswear;outerwear",
        "markets_present": "UA",
        "languages": "uk",
        "min_order_qty": "1000",
        "capacity_units_month": "20000",
    },
    {
        "id": "yarn-supplier",
        "name": "Пряжа Плюс",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "supplier",
        "offers": "yarn_supply",
        "seeks": "wholesale_distribution",
        "products": "yarn",
        "markets_present": "UA",
        "languages": "uk",
    },
    {
        "id": "fabric-mill",
        "name": "Tkalnia Łódź",
        "network": "polish-fashion-cluster",
        "country": "PL",
        "city": "Łódź",
        "org_type": "textile_producer",
        "offers": "weaving;woven_fabric_supply",
        "seeks": "sewing",
        "products": "fabrics",
        "markets_present": "PL;DE",
        "languages": "pl;en",
    },
    {
        "id": "pl-distributor",
        "name": "Moda Dystrybucja",
        "network": "polish-fashion-cluster",
        "country": "PL",
        "city": "Warszawa",
        "org_type": "retailer_distributor",
        "offers": "wholesale_distribution;showroom",
        "seeks": "knitwear_production;private_label",
        "products": "knitwear;womenswear",
        "markets_present": "PL;DE;CZ",
        "languages": "pl;en",
    },
    {
        "id": "pl-knit-factory",
        "name": "Dzianina Sp. z o.o.",
        "network": "polish-fashion-cluster",
        "country": "PL",
        "city": "Łódź",
        "org_type": "manufacturer",
        "offers": "knitwear_production",
        "seeks": "fashion_design",
        "products": "knitwear",
        "markets_present": "PL;DE",
        "languages": "pl;en",
        "min_order_qty": "500",
        "certifications": "gots;oeko_tex_100",
    },
    {
        "id": "logistics",
        "name": "Логістик Схід",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "service_provider",
        "offers": "logistics;customs_brokerage",
        "seeks": "",
        "products": "",
        "markets_present": "UA;PL",
        "languages": "uk;ru",
        "description": "Доставка вантажів і митне оформлення.",
    },
    {
        "id": "text-only",
        "name": "ФОП Коваленко",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "",
        "seeks": "",
        "products": "",
        "description": "Виробляємо трикотажні вироби малими партіями. Шукаємо постачальника пряжі.",
    },
    {
        "id": "photo",
        "name": "Кадр Студія",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "service_provider",
        "offers": "photo_content",
        "seeks": "",
        "products": "",
        "markets_present": "UA",
        "languages": "uk",
    },
]

LINKS = [
    Link("sewing-factory", "fabric-mill", "supplier"),
    Link("pl-distributor", "pl-knit-factory", "partner"),
    Link("designer", "photo", "declined"),
]


def write_csv(path: Path, rows: list[dict]) -> Path:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
