"""Builds the `hyperclient` extension module over the libhyperclient that CMake built.

    sh scripts/build-python.sh      (builds and installs; see there)
    python3 -m pip install --no-build-isolation --no-deps --no-index bindings/python   (needs `wheel`)

HYPERCLIENT_LIBRARY names the static library to link (default: build/native/libhyperclient.a of
this checkout) and HYPERCLIENT_INCLUDE the directory of hyperclient.h (default: native/include).
"""
import os
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
LIBRARY = os.environ.get('HYPERCLIENT_LIBRARY', os.path.join(ROOT, 'build', 'native', 'libhyperclient.a'))
INCLUDE = os.environ.get('HYPERCLIENT_INCLUDE', os.path.join(ROOT, 'native', 'include'))

if not os.path.exists(LIBRARY):
    sys.exit('hyperclient: %s not found: build the C library first (sh scripts/build-native.sh), '
             'or set HYPERCLIENT_LIBRARY' % LIBRARY)

setup(
    name='hyperclient',
    version='0.4.0',
    description='The HyperDex client (Python API of the HyperDex 0.4 manual) over libhyperclient',
    license='BSD-3-Clause',
    ext_modules=[
        Extension(
            'hyperclient',
            sources=['hyperclient.c'],
            include_dirs=[INCLUDE],
            extra_objects=[LIBRARY],
            # rebuilt when the library or the headers change, not only the module's source
            depends=[LIBRARY] + [os.path.join(INCLUDE, h) for h in ('hyperclient.h', 'hyperclient_status.h', 'hyperdex.h')],
            extra_compile_args=['-std=c11', '-Wall', '-Wextra', '-Werror'],
        )
    ],
)
