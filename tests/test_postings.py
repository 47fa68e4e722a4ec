import numpy as np
import pytest
from scipy import sparse

from faq.postings import Postings


def random_matrix(seed: int, rows: int = 40, cols: int = 25) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((rows, cols)) * (rng.random((rows, cols)) < 0.2)
    return sparse.csr_matrix(dense.astype(np.float32))


@pytest.mark.parametrize("seed", range(5))
def test_weighted_sum_equals_scipy(seed: int) -> None:
    m = random_matrix(seed)
    p = Postings.from_csr(m)
    assert p.check() is None
    rng = np.random.default_rng(seed + 100)
    terms = np.sort(rng.choice(m.shape[0], size=7, replace=False))
    weights = rng.random(7)
    expected = np.asarray(m[terms].T @ weights).ravel()
    assert np.allclose(p.weighted_sum(terms, weights), expected, rtol=1e-6, atol=1e-9)


def test_empty_rows_and_no_terms() -> None:
    p = Postings.from_csr(sparse.csr_matrix((3, 4), dtype=np.float32))
    assert p.weighted_sum(np.array([0, 2]), np.array([1.0, 2.0])).tolist() == [0.0] * 4
    assert p.weighted_sum(np.zeros(0, dtype=np.int64), np.zeros(0)).tolist() == [0.0] * 4


def test_values_at_reads_single_cells() -> None:
    """Cells read from a query's rows agree with the dense matrix, for one column or several in any
    order, in short rows and in rows of hundreds of entries."""
    m = random_matrix(9)
    p = Postings.from_csr(m)
    dense = m.toarray()
    for column in range(m.shape[1]):
        terms = np.arange(m.shape[0])
        assert np.array_equal(p.rows(terms).values_at(np.array([column]))[:, 0], dense[:, column].astype(np.float64))
    columns = np.array([3, 0, m.shape[1] - 1, 3])  # several at once, in any order, repeats allowed
    terms = np.array([4, 0, 4, m.shape[0] - 1])
    assert np.array_equal(p.rows(terms).values_at(columns), dense[terms][:, columns].astype(np.float64))
    long_rows = random_matrix(3, rows=6, cols=3000)  # hundreds of entries a row
    every = np.arange(0, 3000, 7)
    assert np.array_equal(
        Postings.from_csr(long_rows).rows(np.arange(6)).values_at(every),
        long_rows.toarray()[:, every].astype(np.float64),
    )
    empty = Postings.from_csr(sparse.csr_matrix((3, 4), dtype=np.float32))
    assert empty.rows(np.array([0, 2])).values_at(np.array([1, 3])).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_rows_read_once_give_the_same_sums_and_cells() -> None:
    """The rows scoring reads (`Postings.rows`) sum as the postings do and answer the tie-break's cell
    lookups as the dense matrix does, with empty rows, repeated terms and repeated columns in any order."""
    dense = random_matrix(5, rows=12, cols=40).toarray()
    dense[3] = 0  # an empty row among them
    m = sparse.csr_matrix(dense)
    p = Postings.from_csr(m)
    dense = m.toarray().astype(np.float64)
    terms = np.array([3, 0, 7, 7, 11])
    weights = np.array([0.5, 1.0, 2.0, 0.25, 3.0])
    rows = p.rows(terms)
    assert np.array_equal(rows.weighted_sum(weights), p.weighted_sum(terms, weights))
    assert np.allclose(rows.weighted_sum(weights), weights @ dense[terms])
    columns = np.array([39, 0, 5, 5, 17])
    assert np.array_equal(rows.values_at(columns), dense[terms][:, columns])
    none = p.rows(np.zeros(0, dtype=np.int64))
    assert none.weighted_sum(np.zeros(0)).tolist() == [0.0] * 40 and none.values_at(columns).shape == (0, 5)


def test_check_finds_inconsistent_arrays() -> None:
    p = Postings.from_csr(random_matrix(1))
    bad_column = Postings(p.data, p.indices + 1000, p.indptr, p.shape)
    assert "out of range" in bad_column.check()
    bad_ptr = Postings(p.data, p.indices, p.indptr[:-1], p.shape)
    assert "shape" in bad_ptr.check()
    bad_len = Postings(p.data[:-1], p.indices, p.indptr, p.shape)
    assert "stored values" in bad_len.check()
