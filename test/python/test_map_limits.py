"""Map operations on many keys at once, and floored int64 division, from Python. HyperDex 0.4 had
no limit on the entries of a map operation; ours is hyperclient.MICRO_OPS_PER_REQUEST_MAX per call
(the C library's HYPERDEX_MICRO_OPS_PER_REQUEST_MAX). Up to it works; one more raises
HyperClientException(OVERFLOW) before anything is sent, and nothing changes. One cluster (a
coordinator and three daemons) for the module."""
import pytest

import hyperclient
from hyperclient import HyperClientException

LIMIT = hyperclient.MICRO_OPS_PER_REQUEST_MAX
SPACE = 'space pymaps key k attributes map(string, int) msi, map(string, string) mss, map(int, float) mif, int i'


@pytest.fixture(scope='module')
def c(cluster, client):
    client.add_space(SPACE)
    return client


def keys(n, value):
    """n map keys k0000000 .. (they sort as they are numbered), each with value(i)."""
    return {'k%07d' % i: value(i) for i in range(n)}


def test_the_limit_is_generous():
    assert LIMIT >= 65536
    assert hyperclient.ATTRIBUTES_PER_REQUEST_MAX == 256


@pytest.mark.parametrize('n', [1000, LIMIT])
def test_map_operations_on_many_keys_in_one_call(c, n):
    key = 'many-%d' % n
    assert c.put('pymaps', key, {'i': 1}) is True
    assert c.map_add('pymaps', key, {'msi': keys(n, lambda i: i)}) is True
    msi = c.get('pymaps', key)['msi']
    assert len(msi) == n and msi['k0000000'] == 0 and msi['k%07d' % (n - 1)] == n - 1

    assert c.map_atomic_add('pymaps', key, {'msi': keys(n, lambda i: -5)}) is True
    assert c.map_atomic_mod('pymaps', key, {'msi': keys(n, lambda i: 7)}) is True
    msi = c.get('pymaps', key)['msi']
    # floored, as Python's own %: the daemon agrees with the language on every key
    assert msi == {k: (i - 5) % 7 for i, k in enumerate(sorted(msi))}

    assert c.map_string_append('pymaps', key, {'mss': keys(n, lambda i: 'v%d' % i)}) is True
    mss = c.get('pymaps', key)['mss']
    assert len(mss) == n and mss['k%07d' % (n - 1)] == 'v%d' % (n - 1)

    assert c.map_atomic_add('pymaps', key, {'mif': {i - n // 2: 0.5 for i in range(n)}}) is True
    assert len(c.get('pymaps', key)['mif']) == n

    assert c.map_remove('pymaps', key, {'msi': keys(n, lambda i: 0)}) is True
    got = c.get('pymaps', key)
    assert got['msi'] == {} and got['i'] == 1


def test_one_more_than_the_limit_raises_overflow_before_sending(c):
    key = 'over'
    assert c.put('pymaps', key, {'i': 3, 'msi': keys(10, lambda i: i)}) is True
    before = c.get('pymaps', key)
    over = LIMIT + 1
    calls = [
        ('map_add', lambda: c.map_add('pymaps', key, {'msi': keys(over, lambda i: i)})),
        ('map_atomic_add', lambda: c.map_atomic_add('pymaps', key, {'msi': keys(over, lambda i: 1)})),
        ('map_atomic_div', lambda: c.map_atomic_div('pymaps', key, {'msi': keys(over, lambda i: 2)})),
        ('map_string_prepend', lambda: c.map_string_prepend('pymaps', key, {'mss': keys(over, lambda i: 'x')})),
        ('map_remove', lambda: c.map_remove('pymaps', key, {'msi': keys(over, lambda i: 0)})),
        # the limit is per call, whichever maps the entries are in
        ('map_atomic_add on two maps', lambda: c.map_atomic_add(
            'pymaps', key, {'msi': keys(LIMIT, lambda i: 1), 'mif': {1: 1.0}})),
        ('async map_add', lambda: c.async_map_add('pymaps', key, {'msi': keys(over, lambda i: i)}).wait()),
    ]
    for what, call in calls:
        with pytest.raises(HyperClientException) as e:
            call()
        assert e.value.status() == hyperclient.HYPERCLIENT_OVERFLOW, what
        assert c.get('pymaps', key) == before, what


@pytest.mark.parametrize('a, b, div, mod', [
    (7, -3, -3, -2), (-7, 3, -3, 2), (-7, 2, -4, 1), (7, 2, 3, 1), (-7, -2, 3, -1),
    (-(2 ** 63), 3, -3074457345618258603, 1),
])
def test_int64_division_floors_as_python_does(c, a, b, div, mod):
    assert (a // b, a % b) == (div, mod)
    assert c.put('pymaps', 'div', {'i': a, 'msi': {'x': a}}) is True
    assert c.atomic_div('pymaps', 'div', {'i': b}) is True
    assert c.map_atomic_mod('pymaps', 'div', {'msi': {'x': b}}) is True
    got = c.get('pymaps', 'div')
    assert (got['i'], got['msi']['x']) == (div, mod)


def test_int64_min_div_and_mod_minus_one_overflow(c):
    assert c.put('pymaps', 'min', {'i': -(2 ** 63)}) is True
    for call in (c.atomic_div, c.atomic_mod):
        with pytest.raises(HyperClientException) as e:
            call('pymaps', 'min', {'i': -1})
        assert e.value.status() == hyperclient.HYPERCLIENT_OVERFLOW
    assert c.get('pymaps', 'min')['i'] == -(2 ** 63)
