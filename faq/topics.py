"""Other agencies' subjects, recognised by likeness (`corpus/lexicon/other_topics.txt`).

The other-agencies list (`other_agencies.tsv`) finds a phrase, so a citizen who asks about another
agency's business in other words passes it by: the entry `thuế cho thuê` did not catch `cho thuê trọ
thì phải kê khai và đóng thuế`. Here each subject is a block of example questions, and each police
page is its title, aliases and sample questions, and, apart, its labelled messages, all in one TF-IDF
space over diacritic-free syllables and syllable pairs (the `folded` channel; examples and messages
analysed as questions are). The gap between a question's closest example and its closest page scales
its confidence by exp(-`SearchConfig.topic_weight` x gap) (`Searcher.confidence`): the more it is
like another agency's business, the less sure the answer, and the more it is like a page, the surer.
A declined question more like an example than like any page is shown the example's agency, when the
example is like it enough (`SearchConfig.topic_shown`). The weight is chosen on dev with the
threshold (`faq.tuning`); a fixed margin above which the full other-agency penalty applied, measured
against it, declined fewer off-topic messages at the same false abstention (corpus/eval/JOURNAL.md,
nineteenth session).

Built with the index (scikit-learn, like the rest of it); at query time two weighted sums over the
query's own terms, from the folded tokens the search has already made.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from faq.corpus import Document
from faq.postings import Postings

CHANNEL = "folded"  # diacritic-free: accented and unaccented questions meet the examples alike


@dataclass(frozen=True)
class Topics:
    """Example questions of other agencies' subjects and the police pages, in one vector space."""

    vocab: dict[str, int]
    idf: np.ndarray
    examples: Postings  # terms x example questions (L2-normalised log-tf x idf, as the query)
    # terms x (documents: title, aliases and sample questions together; then one column for each page
    # with labelled messages: its messages together). Only the closest column is read.
    pages: Postings
    who: tuple[str, ...]  # per example: who handles it, shown to citizens
    text: tuple[str, ...]  # per example: the question as written

    def closest(self, terms: np.ndarray, weights: np.ndarray, budget: int = 0) -> tuple[int, float, float]:
        """The example closest to a query vector (its terms and weights in this space), or -1 when the
        query shares no term with any example; the gap: the closest example's similarity minus the
        closest page's (each 0 when nothing is shared), positive when the question is more like another
        agency's business than like any page; and the example's similarity itself. The pages are read
        within the search's work `budget` (`Postings.within_budget`): on a large corpus the closest
        page's similarity is then that of the query's most informative terms, and the gap a little
        wider than exact."""
        if not len(terms):
            return -1, 0.0, 0.0
        example = self.examples.weighted_sum(terms, weights)
        best = int(np.argmax(example)) if len(example) else -1
        near = float(example[best]) if best >= 0 else 0.0
        page = self.pages.weighted_sum(*self.pages.within_budget(terms, weights, budget))
        gap = near - (float(page.max()) if len(page) else 0.0)
        return (best if near > 0.0 else -1), gap, near


def page_text(doc: Document) -> str:
    """What a page is asked as: its title, aliases and sample questions as one text (a FAQ row without
    any of them: its answer), a chunk each so that no syllable pair spans two. One vector a page, not
    its best passage: a long text's vector is as diluted for a police page as for a FAQ answer, so the
    gap means the same on either (measured with the earlier fixed margin: per passage, the margin chosen
    on dev declined 14.7% of the first general set's genuine questions, against 3.8%)."""
    parts = [doc.title, *doc.aliases, *doc.questions]
    parts = [p for p in parts if p] or [s.text for s in doc.sections if s.text] or [doc.label]
    return "\n".join(parts)


def build_topics(
    analyze: Callable[[str, bool], list[str]], examples: Sequence[tuple[str, str]], documents: Sequence[Document]
) -> Topics | None:
    """The topic space of (who, example question) pairs and the documents; `analyze(text, query)` gives a
    text's folded tokens, the examples' as a question's (chat words rewritten: `ko` is `không`), the
    pages' as a document's (standard language: no rewriting, cheap at 100,000 entries). None without
    examples."""
    if not examples:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer  # build time only

    # a page's labelled messages (faq.examples) are a second vector of it, read as questions are: how
    # citizens ask it. Apart from its own text, so that a short question's likeness to the page's title
    # and aliases is not diluted by them; the closest page is the closest of either.
    asked = ["\n".join(d.examples) for d in documents if d.examples]
    rows = itertools.chain(
        (analyze(text, True) for _, text in examples),
        (analyze(page_text(d), False) for d in documents),
        (analyze(text, True) for text in asked),
    )
    vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True, norm="l2", smooth_idf=True)
    term_major = vectorizer.fit_transform(rows).T.tocsr().astype(np.float32)  # one pass: no list of every page
    n = len(examples)
    return Topics(
        {t: int(i) for t, i in vectorizer.vocabulary_.items()},
        np.asarray(vectorizer.idf_, dtype=np.float64),
        Postings.from_csr(term_major[:, :n].tocsr()),
        Postings.from_csr(term_major[:, n:].tocsr()),
        tuple(who for who, _ in examples),
        tuple(text for _, text in examples),
    )
