"""The unit ids a Grafana panel accepts (`fieldConfig.defaults.unit`), from Grafana's documented
value formats (the "Unit" picker in standard options; Grafana 7 to 12), by category. An id Grafana does not know
is shown as a plain suffix, so a typo ('req/s' for 'reqps') silently loses the scaling."""
from __future__ import annotations

import difflib

UNITS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "Misc": ("none", "string", "short", "sishort", "percent", "percentunit", "humidity", "dB", "candela", "hex0x",
             "hex", "sci", "locale", "pixel"),
    "Acceleration": ("accMS2", "accFS2", "accG"),
    "Angle": ("degree", "radian", "grad", "arcmin", "arcsec"),
    "Area": ("areaM2", "areaF2", "areaMI2", "acres", "hectares"),
    "Boolean": ("bool", "bool_yes_no", "bool_on_off"),
    "Computation": ("flops", "mflops", "gflops", "tflops", "pflops", "eflops", "zflops", "yflops"),
    "Concentration": ("ppm", "conppb", "conngm3", "conngNm3", "conμgm3", "conμgNm3", "conmgm3", "conmgNm3",
                      "congm3", "congNm3", "conmgdL", "conmmolL"),
    "Currency": ("currencyUSD", "currencyGBP", "currencyEUR", "currencyJPY", "currencyRUB", "currencyUAH",
                 "currencyBRL", "currencyDKK", "currencyISK", "currencyNOK", "currencySEK", "currencyCZK",
                 "currencyCHF", "currencyPLN", "currencyBTC", "currencymBTC", "currencyμBTC", "currencyZAR",
                 "currencyINR", "currencyKRW", "currencyIDR", "currencyPHP", "currencyVND", "currencyTRY",
                 "currencyMYR", "currencyXPF", "currencyBGN", "currencyPYG", "currencyUYU", "currencyILS"),
    "Data (IEC)": ("bits", "bytes", "kbytes", "mbytes", "gbytes", "tbytes", "pbytes"),
    "Data (metric)": ("decbits", "decbytes", "deckbytes", "decmbytes", "decgbytes", "dectbytes", "decpbytes"),
    "Data rate": ("pps", "binBps", "Bps", "binbps", "bps", "KiBs", "Kibits", "KBs", "Kbits", "MiBs", "Mibits", "MBs",
                  "Mbits", "GiBs", "Gibits", "GBs", "Gbits", "TiBs", "Tibits", "TBs", "Tbits", "PiBs", "Pibits", "PBs",
                  "Pbits"),
    "Date & time": ("dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS", "dateTimeAsUSNoDateIfToday",
                    "dateTimeAsLocal", "dateTimeAsLocalNoDateIfToday", "dateTimeAsSystem", "dateTimeFromNow"),
    "Energy": ("watt", "kwatt", "megwatt", "gwatt", "mwatt", "Wm2", "voltamp", "kvoltamp", "voltampreact",
               "kvoltampreact", "watth", "watthperkg", "kwatth", "kwattm", "mwatth", "amph", "kamph", "mamph", "joule", "ev",
               "amp", "kamp", "mamp", "volt", "kvolt", "mvolt", "dBm", "mohm", "ohm", "kohm", "Mohm", "farad", "µfarad",
               "nfarad", "pfarad", "ffarad", "henry", "mhenry", "µhenry", "lumens"),
    "Flow": ("flowgpm", "flowcms", "flowcfs", "flowcfm", "litreh", "flowlpm", "flowmlpm", "lux"),
    "Force": ("forceNm", "forcekNm", "forceN", "forcekN"),
    "Hash rate": ("Hs", "KHs", "MHs", "GHs", "THs", "PHs", "EHs"),
    "Length": ("lengthmm", "lengthin", "lengthft", "lengthm", "lengthkm", "lengthmi"),
    "Mass": ("massmg", "massg", "masslb", "masskg", "masst"),
    "Pressure": ("pressurembar", "pressurebar", "pressurekbar", "pressurepa", "pressurehpa", "pressurekpa",
                 "pressurehg", "pressurepsi"),
    "Radiation": ("radbq", "radci", "radgy", "radrad", "radsv", "radmsv", "radusv", "radrem", "radexpckg", "radr",
                  "radsvh", "radmsvh", "radusvh"),
    "Rotational speed": ("rotrpm", "rothz", "rotkhz", "rotmhz", "rotghz", "rotrads", "rotdegs"),
    "Temperature": ("celsius", "fahrenheit", "kelvin"),
    "Time": ("hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms",
             "timeticks", "clockms", "clocks"),
    "Throughput": ("cps", "ops", "reqps", "rps", "wps", "iops", "eps", "mps", "recps", "rowsps", "cpm", "opm",
                   "reqpm", "rpm", "wpm", "epm", "mpm", "recpm", "rowspm"),
    "Velocity": ("velocityms", "velocitykmh", "velocitymph", "velocityknot"),
    "Volume": ("mlitre", "litre", "m3", "Nm3", "dm3", "gallons"),
}
UNITS = frozenset(unit for units in UNITS_BY_CATEGORY.values() for unit in units)
# Grafana's custom units: `<kind>:<text>`, e.g. 'suffix: pods', 'si:B', 'count:jobs', 'time:YYYY-MM-DD'.
CUSTOM_UNIT_KINDS = ("prefix", "suffix", "si", "count", "currency", "time")


def is_unit(unit: str) -> bool:
    """A unit id Grafana knows, or one of its custom `<kind>:<text>` units."""
    kind, sep, text = unit.partition(":")
    return unit in UNITS or bool(sep and text and kind in CUSTOM_UNIT_KINDS)


def suggestions(unit: str) -> list[str]:
    """Up to three known unit ids close to `unit` (for the fix in a lint message)."""
    by_lower = {u.lower(): u for u in sorted(UNITS)}
    close = difflib.get_close_matches(unit.lower(), list(by_lower), n=3, cutoff=0.6)
    return [by_lower[c] for c in close]
