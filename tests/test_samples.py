import numpy as np
import pytest

from sigfit import InputError
from sigfit.samples import clock, clock_digits, parse_bases, sine


def test_sine_is_seeded_and_in_range():
    x1, y1 = sine(n=100, omega=5.0, range_=10.0, seed=3)
    x2, y2 = sine(n=100, omega=5.0, range_=10.0, seed=3)
    np.testing.assert_array_equal(x1, x2)
    assert np.all(np.abs(x1) <= 10.0)
    np.testing.assert_allclose(y1, np.sin(5.0 * x1))


def test_clock_digits_wrap_like_a_clock():
    d = clock_digits(np.array([-1, 0, 3661, 86399, 86400]))
    assert d.tolist() == [[23, 59, 59], [0, 0, 0], [1, 1, 1], [23, 59, 59], [0, 0, 0]]


def test_clock_other_bases_reconstruct_t_mod_day():
    s = clock(n=1000, years=3, bases=(7, 13, 5), seed=1)
    assert s.names == ["hours", "minutes", "seconds"]
    h, m, sec = s.digits.T
    np.testing.assert_array_equal(sec + 7 * m + 7 * 13 * h, s.t % (7 * 13 * 5))
    assert s.t.dtype == np.int64


@pytest.mark.parametrize("bad", ["", "60,x", "1,60", "0"])
def test_parse_bases_rejects_bad(bad):
    with pytest.raises(InputError):
        parse_bases(bad)
