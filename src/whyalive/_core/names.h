/* names.h: one reference -> a label, as code would name it.
 *
 * Labels are computed only for the references on reported paths, after
 * the walk, from struct fields, dict entries and tp_members; no user
 * code runs (no repr, eq, hash or getattr of user objects).
 */
#ifndef WHYALIVE_NAMES_H
#define WHYALIVE_NAMES_H

#include "compat.h"

enum edge_kind {
    EDGE_KIND_KEY = 0,   /* d['k']: a dict value */
    EDGE_KIND_DICT_KEY,  /* <key>: a dict key */
    EDGE_KIND_INDEX,     /* [3]: list, tuple, deque item */
    EDGE_KIND_ELEMENT,   /* <element>: set or frozenset member */
    EDGE_KIND_ATTR,      /* .attr: attribute, slot, field, global */
    EDGE_KIND_CLOSURE,   /* <closure 'x'>: a function's free variable */
    EDGE_KIND_LOCAL,     /* <local 'x'>: a local of a frame or generator */
    EDGE_KIND_REFERENT,  /* <referent #k of Type>: nothing better known */
    EDGE_KIND_COUNT
};

extern const char *const edge_kind_names[EDGE_KIND_COUNT];

/* How a raw label combines with the next one when a path folds the
 * container it leads to ("owner.__dict__['x']" -> "owner.x"). */
enum label_role {
    ROLE_PLAIN = 0,
    ROLE_OWN_DICT,      /* .__dict__ of its owner */
    ROLE_CLOSURE,       /* .__closure__ of a function */
    ROLE_CELL_CONTENTS, /* .cell_contents */
    ROLE_FRAME,         /* a 3.10 generator's .gi_frame */
    ROLE_LOCAL,         /* <local 'x'> */
    ROLE_INNER,         /* a container kept inside its owner: the next
                           label says it all (a Context's HAMT) */
    ROLE_ATTR_DICT,     /* a dict of attributes: an identifier key
                           after it reads ".name" */
    ROLE_CACHE,         /* an lru_cache's cache: a key in it reads
                           "<cache key>" */
    ROLE_COUNT          /* how many; a stored label's role is below it */
};

/* The label of one reference, before folding. */
typedef struct {
    PyObject *text;  /* new reference */
    PyObject *key;   /* borrowed dict key when kind is KEY, else NULL */
    Py_ssize_t index;
    int kind;
    int role;
} raw_label_t;

/* How a referrer's references are labelled (objnames.c's
 * names_type_class): one kind, below CLASS_KIND, and flags. */
enum label_class {
    CLASS_INSTANCE = 0, /* attributes, slots and members only */
    CLASS_DICT,
    CLASS_LIST,
    CLASS_TUPLE,
    CLASS_SET,
    CLASS_DEQUE,
    CLASS_CELL,
    CLASS_FUNCTION,
    CLASS_METHOD,
    CLASS_CFUNCTION,
    CLASS_TYPE,
    CLASS_MODULE,
    CLASS_FRAME,
    CLASS_GENERATOR,
    CLASS_TRACEBACK,
    CLASS_EXCEPTION,
    CLASS_CODE,
    CLASS_WEAKREF,
    CLASS_KIND = 0x3f,
    CLASS_STDNAMES = 0x40,       /* stdnames.c may label its references */
    CLASS_STDNAMES_NAMED = 0x80, /* stdnames.c names its objects */
};

#define NAMES_CLASS_BITS 8

typedef struct {
    PyObject *type_names; /* {id(type): qualified name} */
    /* each type's class, by its address (objnames.c) */
    struct {
        PyTypeObject *type;
        uint8_t cls;
    } type_classes[1 << NAMES_CLASS_BITS];
    struct {
        PyTypeObject *type;
        PyObject *name; /* borrowed from type_names */
    } recent_types[256];
    /* for the last big dict labelled: its values -> their first key,
     * open addressing, so that labelling many of its values is linear */
    PyObject *big_dict;
    Py_ssize_t big_dict_used;
    PyObject **big_values;
    PyObject **big_keys;
    size_t big_mask;
    struct stdnames *std; /* stdnames.c's types, found on first use */
    /* attr_label's ".name" texts by the address of the C name (a
     * member's or a field's), so that labelling every instance of a
     * class makes one text per attribute; a hit is compared too */
    struct {
        const char *name;
        PyObject *text;
        int role;
    } attr_texts[64];
    /* label_instance's ".name" texts of inline values (3.11+) by the
     * key object, held while cached: labelling every instance of a
     * class formats and checks each attribute name once */
    struct {
        PyObject *name;
        PyObject *text;
    } inline_texts[64];
} names_t;

int names_init(names_t *nm);
void names_free(names_t *nm);

/* Labels referrer -> referent.  occurrence: how many earlier references
 * of referrer go to referent (picks the right key of a value stored
 * twice); ordinal: its position among all of referrer's references.
 * 0 on success, -1 on error. */
int names_raw(names_t *nm, PyObject *referrer, PyObject *referent,
              Py_ssize_t occurrence, Py_ssize_t ordinal, raw_label_t *out);
/* "[repr(key)]", the text of a dict value's label (names_safe_repr's
 * repr, so no user code runs).  New reference. */
PyObject *names_key_text(PyObject *key);
/* The label of a dict's reference to the value stored under key
 * (is_key 0: "['k']"), or to the key itself (is_key 1: "<key>"), for a
 * caller that walks the dict's entries itself.  0, or -1 on error. */
int names_dict_entry(names_t *nm, PyObject *key, int is_key, raw_label_t *out);
/* Folds the labels of consecutive references whose intermediate
 * objects are internal to owner into one label; owner NULL for stored
 * labels (snapshots), whose closure items carry the variable's name
 * as their key.  New reference;
 * *kind receives the edge kind. */
PyObject *names_fold(names_t *nm, PyObject *owner, raw_label_t *labels,
                     int count, int *kind);
void names_raw_clear(raw_label_t *label);
/* Fills *out with text (a new reference, stolen) of that kind and role:
 * 1, or -1 when text is NULL (an error is set). */
int names_set_label(raw_label_t *out, int kind, int role, PyObject *text);

/* A new exact str with the characters of s, which must be a str: never
 * an instance of a str subclass itself (PyUnicode_FromFormat("%U")
 * returns its argument), so no method of a user's class runs when the
 * name is used later and no report holds the user's object.  New ref. */
PyObject *names_exact_str(PyObject *s);
/* names_exact_str(s) for a str, else a new reference to fallback. */
PyObject *names_str_or(PyObject *s, PyObject *fallback);
/* "pkg.mod.Class" for heap types, tp_name for static ones. New ref. */
PyObject *names_type_name(names_t *nm, PyTypeObject *tp);
/* The name an object carries, if it is a function, class, module,
 * method, code, frame or generator; "" otherwise.  New reference. */
PyObject *names_object_name(names_t *nm, PyObject *op);
/* 0 when names_object_name(op) is "" whatever op holds: objects of
 * its type carry no name.  Makes nothing. */
int names_has_name(names_t *nm, PyObject *op);
/* The label_class of op's type (cached). */
int names_type_class(names_t *nm, PyObject *op);
/* The collections.deque type among the bases of op's type, or NULL. */
PyTypeObject *names_deque_base(PyObject *op);
/* repr() for str, bytes, int, float, bool, None and tuples of those;
 * "<Type at 0x...>" for anything else.  New reference. */
PyObject *names_safe_repr(names_t *nm, PyObject *op);
/* A module global: "mod.name", or "mod.__dict__[key]". New ref. */
PyObject *names_global(names_t *nm, PyObject *module_name, PyObject *key);
/* The value stored under key `name` in an exact dict, comparing only
 * exact str keys (no __eq__ runs).  Borrowed, or NULL. */
PyObject *names_dict_get_str(PyObject *dict, const char *name);

/* stdnames.c: the stdlib's C types named by hand (lru_cache, asyncio's
 * Future and Task, thread-locals, contextvars).  1 labelled, 0 not
 * theirs, -1 error. */
int stdnames_label(names_t *nm, PyObject *op, PyObject *child,
                   raw_label_t *out);
/* Is child a container op keeps inside itself, so that a path folds
 * the step into the next (a Context's HAMT, a thread-local's dicts)? */
int stdnames_is_inner(names_t *nm, PyObject *op, PyObject *child);
/* The name of such an object (an lru_cache's function), new
 * reference, or NULL (no error set) when it has none. */
PyObject *stdnames_object_name(names_t *nm, PyObject *op);
/* 0 when stdnames_label never labels a reference of op's type (lists,
 * tuples, instances of plain classes): depends on the type alone. */
int stdnames_may_label(PyObject *op);
/* 1 when stdnames_object_name may name objects of op's type. */
int stdnames_names_objects(names_t *nm, PyObject *op);
void stdnames_free(names_t *nm);

#endif /* WHYALIVE_NAMES_H */
