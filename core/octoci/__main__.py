"""``python -m octoci``: the same as the ``octoci`` command."""

from octoci.launch import main

if __name__ == "__main__":
    main()
