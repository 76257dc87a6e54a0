"""``python -m betterauth_jwt inspect|verify|jwks ...``: see :mod:`betterauth_jwt._cli` and docs/cli.md."""

from ._cli.main import main

if __name__ == "__main__":
    main()
