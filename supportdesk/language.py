"""Which script and language a ticket is written in, from letters and common words. Pure.

No library: the small ones that import fast (langdetect) load their profiles on the first
call (about 300 ms), the accurate ones bring numpy; and both confuse Persian with Arabic
on short texts, which is the one distinction a desk here must get right. The rules:

- Letters are counted per script (URLs, e-mail addresses and host names left out); a
  script with fewer than MIN_LETTERS letters says nothing.
- Arabic script: Persian has پ چ ژ گ and writes ک ی where Arabic writes ك ي ة ى; each
  side also has words the other lacks (است، از، را / في، على، هذا).
- Latin script: Turkish has ğ ı ş (and ç ö ü, which it shares), and words and verb
  endings of its own, in proper and ASCII-folded spelling; English has its function words.
- One side must score at least MIN_SCORE and twice the other; otherwise the answer is
  None (unsure), never a guess.
"""

from __future__ import annotations

import re

from supportdesk.frozen import Record, record

MIN_LETTERS = 8  # fewer letters in a script: too little to judge ("ok", "thanks")
MIN_SCORE = 3.0  # evidence needed for a language, and it must be twice the other's
MAIN_SHARE = 0.25  # a script with this share of the letters is one the text is written in
SAMPLE_CHARS = 8000  # the first characters of a text are enough to judge it

# Letters of each script (digits, punctuation and diacritic marks left out).
_SCRIPT_LETTERS = {
    "latin": re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
    "arabic": re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9\ufb50-\ufdfb\ufe70-\ufefc]"),
    "cyrillic": re.compile("[\u0400-\u0481\u048a-\u052f]"),
    "greek": re.compile("[\u0370-\u0373\u0376\u0377\u037b-\u037d\u0386\u0388-\u03ff\u1f00-\u1ffc]"),
    "hebrew": re.compile("[\u05d0-\u05ea\u05ef-\u05f2\ufb1d-\ufb4f]"),
    "armenian": re.compile("[\u0531-\u0556\u0560-\u0588]"),
    "georgian": re.compile("[\u10a0-\u10ff\u1c90-\u1cbf]"),
}
# Scripts that (in a support desk) mean one language.
_SINGLE_LANGUAGE = {"greek": "el", "hebrew": "he", "armenian": "hy", "georgian": "ka"}

# Which script each language is written in (the languages a desk may list).
LANGUAGE_SCRIPTS = {
    **dict.fromkeys(
        ("en", "tr", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sk", "sv", "da", "no", "nb", "fi",
         "ro", "hu", "az", "id", "ms", "vi", "hr", "sl", "et", "lv", "lt", "sq", "tk", "uz"),
        "latin",
    ),
    **dict.fromkeys(("fa", "ar", "ur", "ps"), "arabic"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "mk", "kk", "ky", "mn"), "cyrillic"),
    "el": "greek", "he": "hebrew", "yi": "hebrew", "hy": "armenian", "ka": "georgian",
}
LANGUAGE_NAMES = {
    "en": "English", "tr": "Turkish", "fa": "Persian", "ar": "Arabic", "ru": "Russian", "uk": "Ukrainian",
    "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "el": "Greek", "he": "Hebrew",
    "hy": "Armenian", "ka": "Georgian", "az": "Azerbaijani", "ur": "Urdu", "nl": "Dutch", "pl": "Polish",
}

# Not words of the text: links, addresses, host names, file names, IP addresses, paths
# and code (a pasted log is not the language the ticket is written in).
_NOT_PROSE = re.compile(r"\S+@\S+|\w+://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)+\b|\S*[/\\_=<>{}\[\]()$;]\S*")
_WORD = re.compile(r"[^\W\d_]+")

_PERSIAN_LETTERS = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")  # پ چ ژ گ ک ی
_ARABIC_LETTERS = re.compile("[\u0643\u064a\u0629\u0649\u0625]")  # ك ي ة ى إ
_PERSIAN_WORDS = frozenset((
    "از", "را", "است", "هست", "نیست", "شد", "شده", "بود", "برای", "این", "آن", "اون", "هم", "تا", "با", "یک",
    "خیلی", "لطفا", "لطفاً", "ممنون", "نمی", "می", "کنید", "کنم", "دارم",
))
_ARABIC_WORDS = frozenset((
    "في", "على", "إلى", "الى", "هذا", "هذه", "التي", "الذي", "لا", "لم", "لن", "قد", "كان", "هل", "أن", "إن",
    "منذ", "لكن", "عن", "يعمل",
))

_TURKISH_STRONG = re.compile("[ğĞıİşŞ]")  # letters only Turkish has (among the desk's languages)
_TURKISH_SHARED = re.compile("[çöüÇÖÜ]")
_TURKISH_WORDS = frozenset((
    "ve", "bir", "bu", "için", "icin", "ile", "değil", "degil", "var", "yok", "çok", "cok", "merhaba", "lütfen",
    "lutfen", "teşekkürler", "tesekkurler", "teşekkür", "tesekkur", "ama", "gibi", "daha", "nasıl", "nasil",
    "neden", "olarak", "sunucu", "sunucum", "sitem", "sitemiz", "hesap", "hesabım", "hesabim", "hata", "sorun",
    "şifre", "sifre", "selam", "iyi", "günler", "gunler", "acil", "yardım", "yardim",
))
# Verb endings: -iyor (present), -maz/-mez (negative aorist), -madı/-medi (negative past).
_TURKISH_VERB = re.compile(r"\w+(?:[iıuü]yor|m[ae]z|m[ae]d[iı])(?:um|sun|uz|lar|ler|du|di)?\b")
_ENGLISH_WORDS = frozenset((
    "the", "and", "is", "are", "was", "were", "to", "of", "my", "it", "not", "you", "your", "please", "with",
    "for", "this", "that", "have", "has", "can", "cannot", "from", "on", "be", "we", "our", "since", "does",
    "doesn", "don", "what", "when", "why", "how", "hello", "hi", "thanks", "thank", "there", "would",
    "could", "should", "will", "an", "after", "before", "i", "me",
))


@record
class Detection(Record):
    """What a text is written in."""

    script: str | None  # the script most letters are in; None: too few letters to say
    language: str | None  # the language of the main scripts (ISO 639-1), None when unsure
    scripts: tuple[tuple[str, int, str | None], ...] = ()  # (script, letters, language), most letters first

    @property
    def letters(self) -> int:
        """Letters counted, in every script."""
        return sum(n for _, n, _ in self.scripts)

    def share(self, scripts: frozenset[str] | set[str] | tuple[str, ...]) -> float:
        """The share of the letters that are in one of `scripts` (0 for no letters)."""
        total = self.letters
        return sum(n for s, n, _ in self.scripts if s in scripts) / total if total else 0.0

    @property
    def main(self) -> tuple[tuple[str, int, str | None], ...]:
        """The scripts the text is written in: each with at least MAIN_SHARE of the letters
        (a Persian ticket with a pasted English log is in both)."""
        total = self.letters
        return tuple(entry for entry in self.scripts if entry[1] >= MAIN_SHARE * total)


def detect(text: str) -> Detection:
    """The script and language of `text`; None where the evidence is too thin."""
    sample = _NOT_PROSE.sub(" ", text[:SAMPLE_CHARS])
    counts = [(name, len(pattern.findall(sample))) for name, pattern in _SCRIPT_LETTERS.items()]
    counts = sorted(((name, n) for name, n in counts if n >= MIN_LETTERS), key=lambda item: -item[1])
    if not counts:
        return Detection(None, None)
    words = _WORD.findall(sample.replace("İ", "i").lower()) if any(n in ("latin", "arabic") for n, _ in counts) else []
    scripts = tuple((name, n, _language(name, sample, words)) for name, n in counts)
    total = sum(n for _, n in counts)
    main = [language for _, n, language in scripts if n >= MAIN_SHARE * total and language]
    return Detection(scripts[0][0], main[0] if main else None, scripts)


def language_name(code: str | None) -> str:
    """`Persian` for `fa`; the code itself when the name is not known."""
    return LANGUAGE_NAMES.get(code or "", code or "an unknown language")


def _language(script: str, sample: str, words: list[str]) -> str | None:
    if script == "arabic":
        persian = len(_PERSIAN_LETTERS.findall(sample)) + 2 * sum(w in _PERSIAN_WORDS for w in words)
        arabic = len(_ARABIC_LETTERS.findall(sample)) + 2 * sum(w in _ARABIC_WORDS for w in words)
        return _decide("fa", persian, "ar", arabic)
    if script == "latin":
        turkish = (
            len(_TURKISH_STRONG.findall(sample))
            + 0.5 * len(_TURKISH_SHARED.findall(sample))
            + 2 * sum(w in _TURKISH_WORDS for w in words)
            + 2 * len(_TURKISH_VERB.findall(" ".join(words)))
        )
        english = 2 * sum(w in _ENGLISH_WORDS for w in words)
        return _decide("tr", turkish, "en", english)
    if script == "cyrillic":
        ukrainian = len(re.findall("[іїєґІЇЄҐ]", sample))
        russian = len(re.findall("[ыэъёЫЭЪЁ]", sample))
        return _decide("uk", ukrainian, "ru", russian)
    return _SINGLE_LANGUAGE.get(script)


def _decide(one: str, one_score: float, other: str, other_score: float) -> str | None:
    if one_score >= MIN_SCORE and one_score >= 2 * other_score:
        return one
    if other_score >= MIN_SCORE and other_score >= 2 * one_score:
        return other
    return None
