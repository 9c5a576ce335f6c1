/* compat_layout.h: the internal structures' layout, checked at import
 * against the running CPython's own _Py_DebugOffsets (3.13+).
 *
 * The core reads internal structures (the interpreter and thread states,
 * frames, code objects, generators, dicts, the GC state) at the offsets
 * of the headers it was compiled against.  A CPython of the same minor
 * version but another patch release can place them elsewhere (a 3.14
 * patch release changed the GC state once); reading on would read the
 * wrong fields.  CPython publishes where its fields are, for debuggers
 * and profilers, in _PyRuntime.debug_offsets, filled by offsetof in the
 * running binary.  compat_layout_check compares each field the core
 * relies on with what it was compiled with, and on a difference the
 * module refuses to load with a message that names both CPython versions
 * and the field.  compat_young_census_check, last here, asks the same
 * of what the young census reads (compat.h); a difference there only
 * turns young censuses off.  Included by compat.h, after the internal
 * headers. */
#ifndef WHYALIVE_COMPAT_LAYOUT_H
#define WHYALIVE_COMPAT_LAYOUT_H

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

/* One field: its name as _Py_DebugOffsets spells it (group.field), the
 * value this build has for it, and where the running CPython's value is
 * inside _Py_DebugOffsets. */
typedef struct {
    const char *name;
    uint64_t compiled;
    size_t at;
} compat_layout_field;

#if PY_VERSION_HEX >= 0x030D0000

#define COMPAT_LAYOUT(group, field, value)                                 \
    {#group "." #field, (uint64_t)(value), offsetof(_Py_DebugOffsets, group.field)}

/* The fields the core reads, and the sizes of the structures it reads
 * them in (a size catches a field inserted anywhere in the structure).
 * The values are those CPython's own initializer of _Py_DebugOffsets
 * gives (pycore_runtime_init.h, pycore_debug_offsets.h on 3.14+). */
static const compat_layout_field compat_layout_fields[] = {
    /* Not the interpreter state's size: it ends with the main thread's
     * _PyThreadStateImpl, whose tail depends on flags the core is compiled
     * with and extensions are not (-D_Py_TIER2: 8 bytes more on Debian's
     * 3.15.2); the fields before it do not move. */
    COMPAT_LAYOUT(interpreter_state, threads_head,
                  offsetof(PyInterpreterState, threads.head)),
    COMPAT_LAYOUT(interpreter_state, gc, offsetof(PyInterpreterState, gc)),
    COMPAT_LAYOUT(interpreter_state, imports_modules,
                  offsetof(PyInterpreterState, imports.modules)),
    COMPAT_LAYOUT(interpreter_state, sysdict,
                  offsetof(PyInterpreterState, sysdict)),
    COMPAT_LAYOUT(interpreter_state, builtins,
                  offsetof(PyInterpreterState, builtins)),
    COMPAT_LAYOUT(thread_state, size, sizeof(PyThreadState)),
    COMPAT_LAYOUT(thread_state, next, offsetof(PyThreadState, next)),
    COMPAT_LAYOUT(thread_state, interp, offsetof(PyThreadState, interp)),
    COMPAT_LAYOUT(thread_state, current_frame,
                  offsetof(PyThreadState, current_frame)),
    COMPAT_LAYOUT(thread_state, thread_id, offsetof(PyThreadState, thread_id)),
    COMPAT_LAYOUT(interpreter_frame, size, sizeof(_PyInterpreterFrame)),
    COMPAT_LAYOUT(interpreter_frame, previous,
                  offsetof(_PyInterpreterFrame, previous)),
    COMPAT_LAYOUT(interpreter_frame, executable,
                  offsetof(_PyInterpreterFrame, f_executable)),
    COMPAT_LAYOUT(interpreter_frame, instr_ptr,
                  offsetof(_PyInterpreterFrame, instr_ptr)),
    COMPAT_LAYOUT(interpreter_frame, localsplus,
                  offsetof(_PyInterpreterFrame, localsplus)),
    COMPAT_LAYOUT(interpreter_frame, owner,
                  offsetof(_PyInterpreterFrame, owner)),
#if PY_VERSION_HEX >= 0x030E0000
    COMPAT_LAYOUT(interpreter_frame, stackpointer,
                  offsetof(_PyInterpreterFrame, stackpointer)),
#endif
    COMPAT_LAYOUT(code_object, size, sizeof(PyCodeObject)),
    COMPAT_LAYOUT(code_object, name, offsetof(PyCodeObject, co_name)),
    COMPAT_LAYOUT(code_object, qualname, offsetof(PyCodeObject, co_qualname)),
    COMPAT_LAYOUT(code_object, localsplusnames,
                  offsetof(PyCodeObject, co_localsplusnames)),
    COMPAT_LAYOUT(code_object, localspluskinds,
                  offsetof(PyCodeObject, co_localspluskinds)),
    COMPAT_LAYOUT(code_object, co_code_adaptive,
                  offsetof(PyCodeObject, co_code_adaptive)),
    COMPAT_LAYOUT(dict_object, size, sizeof(PyDictObject)),
    COMPAT_LAYOUT(dict_object, ma_keys, offsetof(PyDictObject, ma_keys)),
    COMPAT_LAYOUT(dict_object, ma_values, offsetof(PyDictObject, ma_values)),
    COMPAT_LAYOUT(gc, size, sizeof(struct _gc_runtime_state)),
    COMPAT_LAYOUT(gc, collecting, offsetof(struct _gc_runtime_state, collecting)),
#if PY_VERSION_HEX >= 0x030E0000
    COMPAT_LAYOUT(gen_object, size, sizeof(PyGenObject)),
    COMPAT_LAYOUT(gen_object, gi_iframe, offsetof(PyGenObject, gi_iframe)),
    COMPAT_LAYOUT(gen_object, gi_frame_state,
                  offsetof(PyGenObject, gi_frame_state)),
#endif
#if PY_VERSION_HEX >= 0x030F0000
    COMPAT_LAYOUT(thread_state, current_exception,
                  offsetof(PyThreadState, current_exception)),
    COMPAT_LAYOUT(thread_state, exc_state, offsetof(PyThreadState, exc_state)),
    COMPAT_LAYOUT(type_object, tp_dictoffset,
                  offsetof(PyTypeObject, tp_dictoffset)),
    COMPAT_LAYOUT(heap_type_object, ht_cached_keys,
                  offsetof(PyHeapTypeObject, ht_cached_keys)),
#endif
};

#if COMPAT_YOUNG_CENSUS && PY_VERSION_HEX >= 0x030E0000
/* What the young census (compat.h) reads beyond the fields above, as
 * _Py_DebugOffsets publishes it: the collector's state, by its size
 * (3.14.0-3.14.4's incremental state is 240 bytes, 3.14.5+'s 264), and
 * on 3.15 where its ring of collection records is and how large.  A
 * difference turns young censuses off (compat_young_census_check); it
 * does not refuse the import. */
static const compat_layout_field compat_young_fields[] = {
    COMPAT_LAYOUT(gc, size, sizeof(struct _gc_runtime_state)),
#if PY_VERSION_HEX >= 0x030F0000
    COMPAT_LAYOUT(gc, generation_stats,
                  offsetof(struct _gc_runtime_state, generation_stats)),
    COMPAT_LAYOUT(gc, generation_stats_size, sizeof(struct gc_stats)),
#endif
};
#define COMPAT_YOUNG_FIELD_COUNT \
    (sizeof(compat_young_fields) / sizeof(compat_young_fields[0]))
#else
#define COMPAT_YOUNG_FIELD_COUNT 0
#endif

#undef COMPAT_LAYOUT

#define COMPAT_LAYOUT_COUNT \
    (sizeof(compat_layout_fields) / sizeof(compat_layout_fields[0]))

#else
#define COMPAT_LAYOUT_COUNT 0
#endif

/* "3.14.10" from a PY_VERSION_HEX value. */
static inline void
compat_layout_version(uint64_t hex, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u", (unsigned)((hex >> 24) & 0xFF),
             (unsigned)((hex >> 16) & 0xFF), (unsigned)((hex >> 8) & 0xFF));
}

#if PY_VERSION_HEX >= 0x030D0000
/* The first of count fields whose place the running CPython's
 * _Py_DebugOffsets give otherwise than this build has it (its value
 * there in *actual), or NULL; override_name, if one of them, is taken
 * to be at override_value. */
static inline const compat_layout_field *
compat_layout_first_difference(const compat_layout_field *fields,
                               size_t count, const char *override_name,
                               uint64_t override_value, uint64_t *actual)
{
    const _Py_DebugOffsets *runtime = &_PyRuntime.debug_offsets;
    for (size_t i = 0; i < count; i++) {
        memcpy(actual, (const char *)runtime + fields[i].at, sizeof(*actual));
        if (override_name != NULL && strcmp(override_name, fields[i].name) == 0) {
            *actual = override_value;
        }
        if (*actual != fields[i].compiled) {
            return &fields[i];
        }
    }
    return NULL;
}
#endif

/* Whether the running CPython lays out the structures the core reads as
 * the headers it was compiled against do.  Returns 0 when they agree
 * (always before 3.13, which publishes no offsets), -1 when they do not,
 * with a message in buf naming both versions and the first field that
 * differs.  For tests, the field named override_name (NULL: none) is
 * taken to be at override_value instead of where CPython says. */
static inline int
compat_layout_check(const char *override_name, uint64_t override_value,
                    char *buf, size_t size)
{
#if PY_VERSION_HEX >= 0x030D0000
    const _Py_DebugOffsets *runtime = &_PyRuntime.debug_offsets;
    char built[32], running[32];
    compat_layout_version(PY_VERSION_HEX, built, sizeof(built));
    compat_layout_version(runtime->version, running, sizeof(running));
    if (memcmp(runtime->cookie, _Py_Debug_Cookie, sizeof(runtime->cookie)) != 0 ||
        (runtime->version >> 16) != ((uint64_t)PY_VERSION_HEX >> 16))
    {
        snprintf(buf, size,
                 "whyalive was built for CPython %s, and this CPython's "
                 "debug offsets (_PyRuntime.debug_offsets) are not those "
                 "of a %u.%u: rebuild whyalive for this interpreter",
                 built, (unsigned)((PY_VERSION_HEX >> 24) & 0xFF),
                 (unsigned)((PY_VERSION_HEX >> 16) & 0xFF));
        return -1;
    }
    if (runtime->free_threaded != (uint64_t)_Py_Debug_Free_Threaded) {
        snprintf(buf, size,
                 "whyalive was built for the %s build of CPython %s, and this "
                 "CPython %s is a %s build: rebuild whyalive for this "
                 "interpreter",
                 _Py_Debug_Free_Threaded ? "free-threaded" : "default", built,
                 running, runtime->free_threaded ? "free-threaded" : "default");
        return -1;
    }
    uint64_t actual;
    const compat_layout_field *f = compat_layout_first_difference(
        compat_layout_fields, COMPAT_LAYOUT_COUNT, override_name,
        override_value, &actual);
    if (f != NULL) {
        snprintf(buf, size,
                 "whyalive was built for CPython %s, whose %s is %" PRIu64
                 ", but in this CPython %s it is %" PRIu64
                 " (its _Py_DebugOffsets say so): whyalive would read "
                 "the wrong fields; rebuild it for this interpreter "
                 "(pip install --force-reinstall --no-binary whyalive "
                 "whyalive)",
                 built, f->name, f->compiled, running, actual);
        return -1;
    }
    return 0;
#else
    (void)override_name;
    (void)override_value;
    (void)buf;
    (void)size;
    return 0;
#endif
}

/* The name of the i-th field compared (i < COMPAT_LAYOUT_COUNT). */
static inline const char *
compat_layout_field_name(size_t i)
{
#if PY_VERSION_HEX >= 0x030D0000
    return compat_layout_fields[i].name;
#else
    (void)i;
    return NULL;
#endif
}

/* Whether name is a field compat_layout_check compares. */
static inline int
compat_layout_has_field(const char *name)
{
#if PY_VERSION_HEX >= 0x030D0000
    for (size_t i = 0; i < COMPAT_LAYOUT_COUNT; i++) {
        if (strcmp(compat_layout_fields[i].name, name) == 0) {
            return 1;
        }
    }
#else
    (void)name;
#endif
    return 0;
}

/* Whether name is what compat_young_census_check compares: "version"
 * (the running CPython's, as PY_VERSION_HEX spells it) or one of
 * compat_young_fields. */
static inline int
compat_young_has_field(const char *name)
{
#if COMPAT_YOUNG_CENSUS
    if (strcmp(name, "version") == 0) {
        return 1;
    }
#if PY_VERSION_HEX >= 0x030E0000
    for (size_t i = 0; i < COMPAT_YOUNG_FIELD_COUNT; i++) {
        if (strcmp(compat_young_fields[i].name, name) == 0) {
            return 1;
        }
    }
#endif
#else
    (void)name;
#endif
    return 0;
}

/* Whether the young census may read the collector's state of the
 * running CPython: it is a release the census is right for
 * (COMPAT_YOUNG_SINCE up to the next minor: a generational collector)
 * and, 3.14+, its _Py_DebugOffsets place what the census reads where
 * this build's headers do.  Returns 0, or -1 with the reason in buf;
 * then census.c takes no stamp and every census walks the whole heap
 * with the public visitor.  For tests, the field override_name (NULL:
 * none) is taken to be override_value. */
static inline int
compat_young_census_check(const char *override_name, uint64_t override_value,
                          char *buf, size_t size)
{
#if COMPAT_YOUNG_CENSUS
    char built[32], running[32];
    uint64_t version = compat_running_version();
    if (override_name != NULL && strcmp(override_name, "version") == 0) {
        version = override_value;
    }
    compat_layout_version(PY_VERSION_HEX, built, sizeof(built));
    compat_layout_version(version, running, sizeof(running));
    if (version < COMPAT_YOUNG_SINCE || version >= COMPAT_YOUNG_BEFORE) {
        char since[32];
        compat_layout_version(COMPAT_YOUNG_SINCE, since, sizeof(since));
        snprintf(buf, size,
                 "no young censuses on CPython %s: whyalive, built for "
                 "CPython %s, reads the collector's generations of %s to "
                 "%u.%u.x only; every census walks the whole heap",
                 running, built, since,
                 (unsigned)((PY_VERSION_HEX >> 24) & 0xFF),
                 (unsigned)((PY_VERSION_HEX >> 16) & 0xFF));
        return -1;
    }
#if PY_VERSION_HEX >= 0x030E0000
    uint64_t actual;
    const compat_layout_field *f = compat_layout_first_difference(
        compat_young_fields, COMPAT_YOUNG_FIELD_COUNT, override_name,
        override_value, &actual);
    if (f != NULL) {
        snprintf(buf, size,
                 "no young censuses on CPython %s: its %s is %" PRIu64
                 ", not %" PRIu64 " as in CPython %s, which whyalive was "
                 "built for (its _Py_DebugOffsets say so); every census "
                 "walks the whole heap",
                 running, f->name, actual, f->compiled, built);
        return -1;
    }
#endif
    return 0;
#else
    (void)override_name;
    (void)override_value;
    snprintf(buf, size,
             "no young censuses in this build of whyalive (its CPython's "
             "collector is not one the census reads): every census walks "
             "the whole heap");
    return -1;
#endif
}

#endif /* WHYALIVE_COMPAT_LAYOUT_H */
