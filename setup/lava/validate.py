#!/usr/bin/python3
"""LAVA's own schemas (lava_common.schemas, Debian's lava-common) applied
to LAVA files: a job (it has "actions") strictly, as lava-server does on
submission, a test definition (it has "metadata") with the testdef schema.

    setup/lava/validate.py FILE...

Prints "ok - FILE: ..." or "not ok - FILE: WHY" per file; exit 1 when one
is not ok, 2 on bad usage or when lava_common is missing. A template's
@...@ fields are strings, so templates validate as they are.
"""
import sys

try:
    import yaml
    from lava_common.schemas import validate as validate_job
    from lava_common.schemas.test.testdef import validate as validate_testdef
except ImportError as exc:
    print("validate.py: error: %s (install lava-common)" % exc, file=sys.stderr)
    sys.exit(2)


def check(path):
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ValueError("not a YAML mapping")
    if "actions" in data:
        validate_job(data, strict=True)
        return "a valid LAVA job (lava_common.schemas.validate, strict)"
    if "metadata" in data:
        validate_testdef(data)
        return "a valid Lava-Test Test Definition 1.0 (lava_common testdef schema)"
    raise ValueError("neither a job (actions) nor a test definition (metadata)")


def main(paths):
    if not paths:
        print("validate.py: error: usage: validate.py FILE...", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        try:
            print("ok - %s: %s" % (path, check(path)))
        except Exception as exc:  # the schema's and YAML's errors alike
            print("not ok - %s: %s" % (path, str(exc).replace("\n", " ")))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
