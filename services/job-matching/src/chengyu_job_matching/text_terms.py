"""The words of Chinese (and mixed) text that text relevance compares: segmented with
jieba-rs (``rjieba``), lower-cased, without punctuation, single characters of Chinese and
common function words. Pure (the dictionary is the library's, loaded once in-process).
"""

from __future__ import annotations

import unicodedata

import rjieba

__all__ = ["terms"]

# Function words that say nothing about a job (的, 和, 及, 等 ... are single characters and
# dropped anyway).
_STOP_WORDS = frozenset(
    {"负责", "相关", "以上", "优先", "能够", "具有", "具备", "良好", "一定", "工作", "要求", "岗位"}
)


def _is_word(token: str) -> bool:
    if not token.strip():
        return False
    if all(unicodedata.category(ch)[0] in "PSZ" for ch in token):
        return False
    if len(token) == 1 and not token.isascii():
        return False
    return token not in _STOP_WORDS


def terms(*texts: str) -> list[str]:
    """The distinct words of ``texts``, in order of first appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for token in rjieba.cut(text):
            word = token.strip().lower()
            if _is_word(word):
                seen.setdefault(word, None)
    return list(seen)
