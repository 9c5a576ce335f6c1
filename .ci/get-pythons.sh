#!/usr/bin/env bash
# Obtain CPython 3.14 and 3.15 (Debian's builds) on a Debian bookworm machine,
# for .ci/run, and print their interpreter paths on stdout, one a line.
#
#   .ci/get-pythons.sh [DEST]        DEST defaults to /var/cache/whyalive-ci
#
# The interpreters come from Debian's newest suite (sid; forky as a fallback)
# as binary packages, fetched with a private apt state under DEST/.apt, so the
# machine's own apt sources and state are never touched; the Debian mirror is
# the one the machine's apt configuration already names (no host is written
# here).  Each is unpacked with `dpkg -x` into DEST/py3.X, together with the
# glibc and libraries those packages were built against, and its `python3.X`
# is patched (patchelf) to load that glibc.  Two fixes make it usable for
# building extensions and venvs: Debian's pyconfig.h includes the multiarch
# one by a system path (copied beside it), and Debian's ensurepip looks for
# its wheels under /usr/share/python-wheels (pointed into DEST instead).
#
# With FREE_THREADED=1 it also builds a free-threaded CPython 3.13t
# (./configure --disable-gil) from Debian trixie's python3.13 source package
# into DEST/py3.13t and prints its interpreter last: no Debian suite ships a
# free-threaded binary package (nor 3.14's source, on this mirror), and
# building takes about 4 minutes on 2 cores.
#
# An interpreter already in DEST that runs is reused as it is; delete its
# folder to fetch it again.  PYVERSIONS="3.14 3.15" chooses the versions.
# The time taken is printed on stderr.  Needs root (apt-get, dpkg), or
# passwordless sudo for the one-time `apt-get install patchelf`.
set -euo pipefail
start=$SECONDS
dest=${1:-/var/cache/whyalive-ci}
versions=${PYVERSIONS-"3.14 3.15"}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

log() { echo "get-pythons: $*" >&2; }

# usable DIR VERSION: the interpreter in DIR runs and has what the CI needs
usable() {
    local py="$1/usr/bin/python$2"
    [ -x "$py" ] && "$py" -c 'import ssl, sqlite3, ctypes, venv, ensurepip, sysconfig' 2>/dev/null &&
        [ -f "$1/usr/include/python$2/pyconfig.h" ]
}

todo=()
for v in $versions; do
    usable "$dest/py$v" "$v" || todo+=("$v")
done
free_threaded=${FREE_THREADED:-0}
ft_root="$dest/py3.13t"
ft_python="$ft_root/bin/python3.13t"
ft_usable() {
    [ -x "$ft_python" ] &&
        "$ft_python" -c 'import sys, ssl, sqlite3, ctypes, venv; assert not sys._is_gil_enabled()' 2>/dev/null &&
        compgen -G "$ft_root/lib/python3.13t/site-packages/pip-*.whl" >/dev/null
}
ft_todo=0
if [ "$free_threaded" = 1 ] && ! ft_usable; then
    ft_todo=1
fi

# the mirror and the private apt state, when anything is to be fetched
apt_setup() {
    apt="$dest/.apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
    key=/usr/share/keyrings/debian-archive-keyring.gpg
    # The Debian mirror this machine's apt is configured with: deb822 sources
    # first, then one-line sources.
    mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
        mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\/.*\/debian\/?$/) { print $i; exit } }' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
    fi
    if [ -z "$mirror" ]; then
        log "no Debian mirror found in this machine's apt configuration"
        exit 1
    fi
    mirror=${mirror%/}
    log "mirror $mirror (from the machine's apt configuration)"
    {
        echo "deb [signed-by=$key] $mirror sid main"
        echo "deb [signed-by=$key] $mirror forky main"
        echo "deb-src [signed-by=$key] $mirror trixie main"
    } >"$apt/sources.list"
    O=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$apt/lists" -o Dir::State::status=/dev/null
        -o Dir::Cache="$apt/cache" -o Dir::Etc::Preferences=/dev/null
        -o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User=root)
    apt-get "${O[@]}" -qq update >&2
}

if [ ${#todo[@]} -gt 0 ]; then
    apt_setup
    if ! command -v patchelf >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
        $sudo apt-get install -y -qq patchelf >/dev/null 2>&1 ||
            { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq patchelf >/dev/null; }
    fi
    # The libraries the interpreters link against, at the versions they were
    # built with (sid's glibc is newer than bookworm's).
    libs=(libc6 libssl3t64 libffi8 libexpat1 libzstd1 libsqlite3-0 libncursesw6 libtinfo6
        libreadline8t64 liblzma5 libbz2-1.0 libuuid1 zlib1g libgcc-s1 libdb5.3t64
        libmpdec4 python3-pip-whl python3-setuptools-whl)
    rm -f "$apt"/debs/*.deb
    for v in "${todo[@]}"; do
        pkgs=("python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" "python$v"
            "libpython$v" "libpython$v-dev" "python$v-dev" "python$v-venv")
        (cd "$apt/debs" && apt-get "${O[@]}" -qq download "${pkgs[@]}" >&2)
    done
    # a library a suite does not have (renamed, or linked statically) is not needed
    for p in "${libs[@]}"; do
        (cd "$apt/debs" && apt-get "${O[@]}" -qq download "$p" >&2 2>/dev/null) ||
            log "note: no package $p in the suites (skipped)"
    done
    for v in "${todo[@]}"; do
        root="$dest/py$v"
        rm -rf "$root"
        mkdir -p "$root"
        for d in "$apt"/debs/*.deb; do
            name=$(basename "$d")
            # another version's python packages are not this one's
            case $name in
                *python3.1[0-9]*) [[ $name == *"python$v"[-_]* ]] || continue ;;
            esac
            dpkg -x "$d" "$root"
        done
        lib="$root/usr/lib/x86_64-linux-gnu"
        patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$lib" \
            "$root/usr/bin/python$v"
        cp "$root/usr/include/x86_64-linux-gnu/python$v/pyconfig.h" "$root/usr/include/python$v/pyconfig.h"
        sed -i "s#'/usr/share/python-wheels/'#'$root/usr/share/python-wheels/'#" \
            "$root/usr/lib/python$v"/_sysconfigdata_*.py
        # not needed for CI, and a quarter of the size
        rm -f "$lib/libpython$v.a" "$root/usr/lib/python$v"/config-*/libpython*.a
        if ! usable "$root" "$v"; then
            "$root/usr/bin/python$v" -c 'import ssl, sqlite3, ctypes, venv, ensurepip' >&2 || true
            log "CPython $v from $mirror is not usable"
            exit 1
        fi
    done
    rm -f "$apt"/debs/*.deb "$apt"/cache/*.bin
    rm -rf "$apt/cache/archives"
fi

if [ "$ft_todo" = 1 ]; then
    [ -n "${O+set}" ] || apt_setup
    src="$dest/.src"
    mkdir -p "$src"
    rm -rf "$ft_root" "$src"/Python-3.13.*
    log "building a free-threaded CPython 3.13t from trixie's python3.13 source (about 4 minutes)"
    (cd "$src" && compgen -G "python3.13_*.orig.tar.xz" >/dev/null ||
        apt-get "${O[@]}" -qq source --download-only python3.13/trixie >&2)
    tar -C "$src" -xf "$(ls "$src"/python3.13_*.orig.tar.xz | tail -n 1)"
    (
        cd "$src"/Python-3.13.*
        ./configure -q --disable-gil --prefix="$ft_root" --without-ensurepip \
            --disable-test-modules >/dev/null
        make -s -j"$(nproc)" >/dev/null 2>&1
        make -s altinstall >/dev/null 2>&1
    ) || { log "building CPython 3.13t failed"; exit 1; }
    rm -rf "$ft_root/lib/python3.13t/test" "$src"/Python-3.13.*
    rm -f "$ft_root"/lib/libpython3.13t.a "$ft_root"/lib/python3.13t/config-*/libpython*.a
    # pip for its venvs (built without ensurepip): Debian's wheels, beside it
    pkgs="python3-pip-whl python3-setuptools-whl"
    (cd "$src" && apt-get "${O[@]}" -qq download $pkgs >&2)
    for d in "$src"/python3-*-whl_*.deb; do
        dpkg -x "$d" "$src/whl"
    done
    cp "$src"/whl/usr/share/python-wheels/*.whl "$ft_root/lib/python3.13t/site-packages/"
    rm -rf "$src"/whl "$src"/python3-*-whl_*.deb
    if ! ft_usable; then
        log "the CPython 3.13t built is not usable"
        exit 1
    fi
fi

for v in $versions; do
    echo "$dest/py$v/usr/bin/python$v"
done
ready="CPython ${versions// /, }"
[ -n "${versions// /}" ] || ready="CPython"
done_now="fetched: ${todo[*]:-none}"
if [ "$free_threaded" = 1 ]; then
    echo "$ft_python"
    ready="$ready${versions:+ and} 3.13t"
    [ "$ft_todo" = 0 ] || done_now="$done_now, built 3.13t"
fi
log "$ready ready in $dest in $((SECONDS - start)) s ($done_now)"
