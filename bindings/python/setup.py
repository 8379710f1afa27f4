"""Builds the `hyperclient` extension module over the libhyperclient that CMake built.

    sh scripts/build-python.sh      (builds a wheel into build/python and installs it with pip; see there)
    python3 -m pip install --no-build-isolation --no-deps --no-index bindings/python   (needs setuptools and wheel)

The distribution's version, and the module's __version__, are the project's: package.json's.
HYPERCLIENT_LIBRARY names the static library to link (default: build/native/libhyperclient.a of
this checkout) and HYPERCLIENT_INCLUDE the directory of hyperclient.h (default: native/include).
"""
import json
import os
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
PACKAGE_JSON = os.path.join(ROOT, 'package.json')
LIBRARY = os.environ.get('HYPERCLIENT_LIBRARY', os.path.join(ROOT, 'build', 'native', 'libhyperclient.a'))
INCLUDE = os.environ.get('HYPERCLIENT_INCLUDE', os.path.join(ROOT, 'native', 'include'))

if not os.path.exists(LIBRARY):
    sys.exit('hyperclient: %s not found: build the C library first (sh scripts/build-native.sh), '
             'or set HYPERCLIENT_LIBRARY' % LIBRARY)

with open(PACKAGE_JSON, encoding='utf-8') as f:
    VERSION = json.load(f)['version']

setup(
    name='hyperclient',
    version=VERSION,
    description='The HyperDex client (Python API of the HyperDex 0.4 manual) over libhyperclient',
    license='BSD-3-Clause',
    python_requires='>=3.10',  # PyModule_AddObjectRef, Py_NewRef,
    ext_modules=[
        Extension(
            'hyperclient',
            sources=['hyperclient.c'],
            include_dirs=[INCLUDE],
            extra_objects=[LIBRARY],
            define_macros=[('HYPERCLIENT_PY_VERSION', '"%s"' % VERSION)],
            # rebuilt when the library, the headers or the version change, not only the module's source
            depends=[LIBRARY, PACKAGE_JSON] + [os.path.join(INCLUDE, h) for h in ('hyperclient.h', 'hyperclient_status.h', 'hyperdex.h')],
            extra_compile_args=['-std=c11', '-Wall', '-Wextra', '-Werror'],
        )
    ],
)
