#!/bin/sh
# Print the path of a Python >= 3.12 interpreter, or explain what to install and exit 1.
# Order: $PYTHON, python3.12/python3.13/python3 on PATH, then pyenv's versions folder
# (oldest first: 3.12 is the version tested; pyenv shims answer "command not found" for versions that are installed but not selected).
ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}
for cand in "${PYTHON:-}" python3.12 python3.13 python3; do
    [ -n "$cand" ] || continue
    path=$(command -v "$cand" 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done
roots="${PYENV_ROOT:-} $(pyenv root 2>/dev/null) $HOME/.pyenv /usr/local /usr /opt/python"
for root in $roots; do
    for path in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 "$root"/bin/python3.1[2-9] \
                  2>/dev/null | sort -V); do
        if ok "$path"; then echo "$path"; exit 0; fi
    done
done
echo "No Python 3.12 or newer was found: install one (e.g. 'pyenv install 3.12' or your system's python3.12 package) or set PYTHON=/path/to/python3.12, then run make again." >&2
exit 1
