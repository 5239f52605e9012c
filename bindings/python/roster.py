"""Python bindings of roster over ctypes (standard library only).

    import roster
    with roster.Directory(path="portal.store", language="fr") as d:
        p = d.partner_create(roster.SYSTEM, "Reseller")
        a = d.account_create(roster.partner(p), p, "Acme")
        u = d.user_create(roster.partner(p), a, first_name="Marie",
                          last_name="Dvořáková", email="marie@acme.example")
        print(d.user_get(u)["display_name"])
        for e in d.events:          # or Directory(on_event=callable)
            print(e["seq"], e["type"], e["email"])

A directory lives in memory, on a file store (path=..., or store= a
FileStore several directories share) or on a shared MemStore. Failures
raise roster.Error, or the subclass of its code (roster.Conflict,
roster.NotFound, ...), with .code, .name, .field, .rule, .value and the
message in the directory's language. The library is found through the
ROSTER_LIB environment variable, else as libroster.so.0.
"""
import ctypes
import functools
import io
import os
import threading

_lib = ctypes.CDLL(os.environ.get("ROSTER_LIB", "libroster.so.0"))

_id = ctypes.c_uint64
_p = ctypes.c_void_p
_int = ctypes.c_int
_uint = ctypes.c_uint
_size = ctypes.c_size_t
_str = ctypes.c_char_p


# ctypes reduces an integer modulo its type's size without a word: an id
# of 2**64 + 5 would name record 5. Integer arguments are checked first.
_RANGES = {ctypes.c_uint64: (0, 2**64 - 1),
           ctypes.c_size_t: (0, 2**(8 * ctypes.sizeof(ctypes.c_size_t)) - 1),
           ctypes.c_uint: (0, 2**(8 * ctypes.sizeof(ctypes.c_uint)) - 1),
           ctypes.c_int: (-2**(8 * ctypes.sizeof(ctypes.c_int) - 1),
                          2**(8 * ctypes.sizeof(ctypes.c_int) - 1) - 1)}


def _fn(name, res, *args):
    f = getattr(_lib, name)
    f.restype = res
    f.argtypes = list(args)
    ranges = [(i, _RANGES[a], a is _id) for i, a in enumerate(args)
              if a in _RANGES]
    if not ranges:
        return f

    def call(*a):
        for i, (lo, hi), ident in ranges:
            if i >= len(a) or not isinstance(a[i], int):
                continue
            # True is 1 to ctypes: an identifier is never a bool
            if ident and isinstance(a[i], bool):
                raise TypeError("%s: argument %d is an identifier, not %r"
                                % (name, i + 1, a[i]))
            if not lo <= a[i] <= hi:
                raise ValueError("%s: argument %d out of range: %r"
                                 % (name, i + 1, a[i]))
        return f(*a)
    call.__name__ = name
    return call


class _Actor(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("id", _id)]


class _Options(ctypes.Structure):
    # roster_directory_options, version 3 (include/roster/directory.h)
    _fields_ = [("version", _uint), ("language", _int),
                ("malloc_fn", _p), ("realloc_fn", _p), ("free_fn", _p),
                ("alloc_data", _p), ("event_cb", _p), ("event_data", _p),
                ("clock_fn", _p), ("clock_data", _p),
                # version 2
                ("storage", _p), ("store", _p),
                # version 3
                ("flags", _uint), ("reserved", _uint)]


_OPTIONS_VERSION = 3
_NO_OUTBOX = 1          # ROSTER_DIRECTORY_NO_OUTBOX
_FILESTORE_NOSYNC = 1   # ROSTER_FILESTORE_NOSYNC
_WITHHELD_SECRET = 1
_WITHHELD_PASSWORD = 2

_EVENT_CB = ctypes.CFUNCTYPE(None, _p, _p)
_A = ctypes.POINTER(_Actor)
_PID = ctypes.POINTER(_id)
_PP = ctypes.POINTER(_p)
_PSIZE = ctypes.POINTER(_size)

_version_string = _fn("roster_version_string", _str)
_options_init = _fn("roster_directory_options_init", _int,
                    ctypes.POINTER(_Options), _uint)
_open = _fn("roster_directory_open", _int, _PP, ctypes.POINTER(_Options))
_free = _fn("roster_directory_free", None, _p)
_refresh = _fn("roster_directory_refresh", _int, _p)
_replay = _fn("roster_outbox_replay", _int, _p, _size, _PSIZE)
_ack = _fn("roster_outbox_ack", _int, _p, ctypes.c_uint64, ctypes.c_uint64,
           _PSIZE)
_memstore_new = _fn("roster_memstore_new", _int, _PP)
_memstore_free = _fn("roster_memstore_free", None, _p)
_memstore_methods = _fn("roster_memstore_methods", _p)
_filestore_open = _fn("roster_filestore_open", _int, _str, _uint, _PP)
_filestore_free = _fn("roster_filestore_free", None, _p)
_filestore_methods = _fn("roster_filestore_methods", _p)
_dir_error = _fn("roster_directory_error", _p, _p)
_error_last = _fn("roster_error_last", _p)
_err_code = _fn("roster_error_code", _int, _p)
_err_msg = _fn("roster_error_message", _str, _p)
_err_msg_in = _fn("roster_error_message_in", _int, _p, _int,
                  ctypes.c_char_p, _size)
_err_field = _fn("roster_error_field", _str, _p)
_err_rule = _fn("roster_error_rule", _str, _p)
_err_value = _fn("roster_error_value", _str, _p)
_strerror = _fn("roster_strerror", _str, _int)
_lang_parse = _fn("roster_language_parse", _int, ctypes.POINTER(_int), _str)
_set_lang = _fn("roster_directory_set_language", _int, _p, _int)
_partner_create = _fn("roster_partner_create", _int, _PID, _p, _A, _str)
_account_create = _fn("roster_account_create", _int, _PID, _p, _A, _id,
                      _str)
_site_create = _fn("roster_site_create", _int, _PID, _p, _A, _id, _str)
_group_create = _fn("roster_group_create", _int, _PID, _p, _A, _id, _str)
_pbx_create = _fn("roster_pbx_create", _int, _PID, _p, _A, _id, _str, _uint,
                  _uint)
_form_new = _fn("roster_form_new", _int, _PP, _p)
_form_free = _fn("roster_form_free", None, _p)
_form_str = _fn("roster_form_set_str", _int, _p, _int, _str)
_form_bool = _fn("roster_form_set_bool", _int, _p, _int, _int)
_form_ref = _fn("roster_form_set_ref", _int, _p, _int, _id)
_form_lines = _fn("roster_form_set_lines", _int, _p, ctypes.POINTER(_str),
                  _size)
_user_create = _fn("roster_user_create", _int, _PID, _p, _A, _id, _p)
_user_update = _fn("roster_user_update", _int, _p, _A, _id, _p)
_user_delete = _fn("roster_user_delete", _int, _p, _A, _id)
_user_get = _fn("roster_user_get", _int, _PP, _p, _id)
_user_find = _fn("roster_user_find_login", _int, _PID, _p, _str)
_user_free = _fn("roster_user_free", None, _p)
_user_id = _fn("roster_user_id", _id, _p)
_user_account = _fn("roster_user_account", _id, _p)
_user_str = _fn("roster_user_str", _str, _p, _int)
_user_bool = _fn("roster_user_bool", _int, _p, _int)
_user_ref = _fn("roster_user_ref", _id, _p, _int)
_user_nlines = _fn("roster_user_line_count", _size, _p)
_user_line = _fn("roster_user_line", _str, _p, _size)
_user_has_password = _fn("roster_user_has_password", _int, _p)
_user_version = _fn("roster_user_version", ctypes.c_uint64, _p)
_field_name = _fn("roster_field_name", _str, _int)
_field_type = _fn("roster_field_type", _int, _int)
_field_access = _fn("roster_user_field_access", _int, ctypes.POINTER(_int),
                    _p, _A, _id, _int)
_login = _fn("roster_login", _int, _PID, _p, _str, _str)
_password_reset = _fn("roster_password_reset", _int, _p, _A, _id, _PID,
                      _size)
_welcome_send = _fn("roster_welcome_send", _int, _p, _A, _id, _PID, _size)
_token_redeem = _fn("roster_token_redeem", _int, _PID, _p, _str, _str)
_txn_begin = _fn("roster_transaction_begin", _int, _p)
_txn_commit = _fn("roster_transaction_commit", _int, _p)
_txn_rollback = _fn("roster_transaction_rollback", _int, _p)
_txn_active = _fn("roster_transaction_active", _int, _p)
_ev_type = _fn("roster_event_type_of", _int, _p)
_ev_name = _fn("roster_event_type_name", _str, _int)
_ev_seq = _fn("roster_event_seq", ctypes.c_uint64, _p)
_ev_partner = _fn("roster_event_partner", _id, _p)
_ev_account = _fn("roster_event_account", _id, _p)
_ev_user = _fn("roster_event_user", _id, _p)
_ev_pbx = _fn("roster_event_pbx", _id, _p)
_ev_email = _fn("roster_event_email", _str, _p)
_ev_secret = _fn("roster_event_secret", _str, _p)
_ev_password = _fn("roster_event_password", _str, _p)
_ev_admin = _fn("roster_event_admin", _int, _p)
_ev_replayed = _fn("roster_event_replayed", _int, _p)
_ev_withheld = _fn("roster_event_withheld", _int, _p)
_query_new = _fn("roster_query_new", _int, _PP)
_query_free = _fn("roster_query_free", None, _p)
_query_text = _fn("roster_query_set_text", _int, _p, _str)
_query_filter = _fn("roster_query_filter", _int, _p, _int)
_query_item = _fn("roster_query_item", _int, _p, _int, _str)
_query_ref = _fn("roster_query_ref", _int, _p, _int, _id)
_search = _fn("roster_search", _int, _PP, _p, _A, _id, _p, _str, _size)
_search_count = _fn("roster_search_count", _int, _PSIZE, _p, _A, _id, _p)
_page_count = _fn("roster_page_count", _size, _p)
_page_id = _fn("roster_page_id", _id, _p, _size)
_page_next = _fn("roster_page_next", _str, _p)
_page_free = _fn("roster_page_free", None, _p)
_READ_FN = ctypes.CFUNCTYPE(ctypes.c_long, _p, _p, _size)
_WRITE_FN = ctypes.CFUNCTYPE(_int, _p, _p, _size)


class _ImportOptions(ctypes.Structure):
    # roster_import_options, version 2 (include/roster/bulk.h)
    _fields_ = [("version", _uint), ("mode", _uint), ("dry_run", _int),
                ("max_errors", _uint),
                # version 2
                ("country", ctypes.c_char * 4)]


_import_options_init = _fn("roster_import_options_init", _int,
                           ctypes.POINTER(_ImportOptions), _uint)
_import = _fn("roster_import", _int, _PP, _p, _A, _id, _int, _READ_FN, _p,
              ctypes.POINTER(_ImportOptions))
_report_free = _fn("roster_import_report_free", None, _p)
_report_rows = _fn("roster_import_rows", _size, _p)
_report_created = _fn("roster_import_created", _size, _p)
_report_stopped = _fn("roster_import_stopped", _int, _p)
_report_errors = _fn("roster_import_error_count", _size, _p)
_report_line = _fn("roster_import_error_line", ctypes.c_ulong, _p, _size)
_report_column = _fn("roster_import_error_column", _str, _p, _size)
_report_code = _fn("roster_import_error_code", _int, _p, _size)
_report_rule = _fn("roster_import_error_rule", _str, _p, _size)
_report_value = _fn("roster_import_error_value", _str, _p, _size)
_report_message = _fn("roster_import_error_message", _str, _p, _size)
_report_message_in = _fn("roster_import_error_message_in", _int, _p, _size,
                         _int, ctypes.c_char_p, _size)
_export = _fn("roster_export", _int, _p, _A, _id, _int, _WRITE_FN, _p)
_product_purchase = _fn("roster_product_purchase", _int, _p, _A, _id, _str,
                        _uint)
_product_release = _fn("roster_product_release", _int, _p, _A, _id, _str,
                       _uint)
_product_assign = _fn("roster_product_assign", _int, _p, _A, _str, _PID,
                      _size, _PSIZE)
_product_unassign = _fn("roster_product_unassign", _int, _p, _A, _str, _PID,
                        _size, _PSIZE)
_product_counts = _fn("roster_product_counts", _int, _p, _A, _id, _str,
                      _PSIZE, _PSIZE)
_user_nproducts = _fn("roster_user_product_count", _size, _p)
_user_product = _fn("roster_user_product", _str, _p, _size)
_form_confirm = _fn("roster_form_confirm", _int, _p, _uint)
_form_generate = _fn("roster_form_generate_password", _int, _p)
_form_country = _fn("roster_form_set_numbers_country", _int, _p, _str)
_form_expect = _fn("roster_form_expect_version", _int, _p, ctypes.c_uint64)
_field_label = _fn("roster_field_label", _str, _int, _int)
_phone_language = _fn("roster_phone_language", _str, _size)
_password_check = _fn("roster_password_check", _int, _p, _str)


class _Policy(ctypes.Structure):
    # roster_password_policy, version 1 (include/roster/password.h)
    _fields_ = [("version", _uint), ("min_length", _uint),
                ("max_length", _uint), ("required_classes", _uint),
                ("generated_length", _uint), ("hash_cost", _uint),
                ("reset_ttl", ctypes.c_int64), ("welcome_ttl", ctypes.c_int64)]


_POLICY_VERSION = 1
_policy_init = _fn("roster_password_policy_init", _int,
                   ctypes.POINTER(_Policy), _uint)
_get_policy = _fn("roster_directory_get_password_policy", _int, _p,
                  ctypes.POINTER(_Policy))
_set_policy = _fn("roster_directory_set_password_policy", _int, _p,
                  ctypes.POINTER(_Policy))
_password_generate = _fn("roster_password_generate", _int, _p,
                         ctypes.c_char_p, _size)
_rename = _fn("roster_record_rename", _int, _p, _A, _id, _str)
_record_delete = _fn("roster_record_delete", _int, _p, _A, _id)
_record_get = _fn("roster_record_get", _int, _PP, _p, _id)
_record_find = _fn("roster_record_find", _int, ctypes.POINTER(_id), _p, _id,
                   _int, _str)
_record_free = _fn("roster_record_free", None, _p)
_rec_id = _fn("roster_record_id", _id, _p)
_rec_kind = _fn("roster_record_kind", _int, _p)
_rec_parent = _fn("roster_record_parent", _id, _p)
_rec_name = _fn("roster_record_name", _str, _p)
_rec_helpdesk = _fn("roster_record_helpdesk", _int, _p)
_rec_min = _fn("roster_record_min_digits", _uint, _p)
_rec_max = _fn("roster_record_max_digits", _uint, _p)
_rec_members = _fn("roster_record_members", _size, _p)
_rec_admins = _fn("roster_record_admins", _size, _p)
_rec_edition = _fn("roster_record_edition", _str, _p)
_rec_nlicences = _fn("roster_record_licence_count", _size, _p)
_rec_licence = _fn("roster_record_licence", _str, _p, _size)
_list = _fn("roster_list", _int, _PP, _p, _id, _int, _str, _size)
_page_total = _fn("roster_page_total", _size, _p)
_set_helpdesk = _fn("roster_account_set_helpdesk", _int, _p, _A, _id, _int)
_set_licences = _fn("roster_account_set_licences", _int, _p, _A, _id, _str,
                    ctypes.POINTER(_str), _size)
_station_order = _fn("roster_station_order", _int, _p, _A, _id, _str, _uint)
_station_disconnect = _fn("roster_station_disconnect", _int, _p, _A, _id,
                          _str, _uint)
_station_counts = _fn("roster_station_counts", _int, _p, _A, _id, _str,
                      _PSIZE, _PSIZE)
_choices = _fn("roster_user_choices", _int, _PP, _p, _A, _id, _id)
_choices_free = _fn("roster_choices_free", None, _p)
_ch_count = _fn("roster_choices_count", _size, _p)
_ch_kind = _fn("roster_choices_kind", _int, _p, _size)
_ch_item = _fn("roster_choices_item", _str, _p, _size)
_ch_name = _fn("roster_choices_name", _str, _p, _size, _int)
_ch_current = _fn("roster_choices_current", _int, _p, _size)
_ch_allowed = _fn("roster_choices_allowed", _int, _p, _size)
_ch_nreasons = _fn("roster_choices_reason_count", _size, _p, _size)
_ch_reason = _fn("roster_choices_reason", _str, _p, _size, _size)
_ch_param = _fn("roster_choices_reason_param", _str, _p, _size, _size)
_ch_message = _fn("roster_choices_reason_message", _str, _p, _size, _size,
                  _int)
_billing = _fn("roster_billing_summary", _int, _PP, _p, _A, _id)
_billing_free = _fn("roster_billing_free", None, _p)
_bill_users = _fn("roster_billing_users", _size, _p)
_bill_excluded = _fn("roster_billing_excluded", _size, _p)
_bill_count = _fn("roster_billing_count", _size, _p)
_bill_kind = _fn("roster_billing_kind", _int, _p, _size)
_bill_item = _fn("roster_billing_item", _str, _p, _size)
_bill_quantity = _fn("roster_billing_quantity", _size, _p, _size)
_preview = _fn("roster_transaction_preview", _int, _PP, _p)
_preview_free = _fn("roster_preview_free", None, _p)
_pv_nevents = _fn("roster_preview_event_count", _size, _p)
_pv_event = _fn("roster_preview_event", _p, _p, _size)
_pv_ndeltas = _fn("roster_preview_delta_count", _size, _p)
_pv_delta = _fn("roster_preview_delta", _int, _p, _size,
                ctypes.POINTER(_int), _PID, ctypes.POINTER(_str),
                ctypes.POINTER(ctypes.c_longlong),
                ctypes.POINTER(ctypes.c_longlong))
_pv_nbilling = _fn("roster_preview_billing_count", _size, _p)
_pv_bill_user = _fn("roster_preview_billing_user", _id, _p, _size)
_pv_bill_what = _fn("roster_preview_billing_what", _uint, _p, _size)
_cat_load_file = _fn("roster_catalog_load_file", _int, _PP, _str)
_cat_load_buffer = _fn("roster_catalog_load_buffer", _int, _PP, _p, _size,
                       _str)
_cat_free = _fn("roster_catalog_free", None, _p)
_set_catalog = _fn("roster_directory_set_catalog", _int, _p, _p, _PP)
_dir_catalog = _fn("roster_directory_catalog", _p, _p)
_cat_count = _fn("roster_catalog_count", _size, _p, _int)
_cat_item = _fn("roster_catalog_item", _str, _p, _int, _size)
_cat_name = _fn("roster_catalog_name", _str, _p, _int, _str, _int, _str)

FIELDS = {}
for _f in range(1, 1000):
    _n = _field_name(_f)
    if _n is None:
        break
    FIELDS[_n.decode()] = (_f, _field_type(_f))
_STRING, _BOOL, _REF, _LIST = 1, 2, 3, 4

# search filters by name (include/roster/search.h)
FILTERS = {"admins": 1, "registered": 2, "unregistered": 3, "pbx_users": 4,
           "cloud": 5, "iot": 6}
_ITEMS = (("licence", 5), ("pack", 7), ("product", 8))  # ROSTER_ITEM_*
_REFS = (("group", 14), ("site", 15))                    # ROSTER_FIELD_*
_FORMATS = {"csv": 1, "xml": 2}
# the kinds of records (roster_kind) by name
KINDS = {"partner": 1, "account": 2, "site": 3, "pbx": 4, "group": 5,
         "user": 6}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
# the kinds of catalog items (roster_item_kind) by name
ITEMS = {"service": 1, "tier": 2, "edition": 3, "family": 4, "licence": 5,
         "client": 6, "pack": 7, "product": 8, "language": 9}
# the names of choices', deltas' and billing lines' kinds (64: an option)
_ITEM_NAMES = {5: "licence", 7: "pack", 8: "product", 64: "option"}
_BILL_BITS = ((1, "licence"), (2, "pack"), (4, "products"), (8, "options"),
              (16, "billable"))
_CONFIRM_DOWNGRADE = 1
# the character classes of a password policy (ROSTER_CLASS_*) by name
PASSWORD_CLASSES = {"lower": 1, "upper": 2, "digit": 4, "symbol": 8}
_MODES = {"all_or_nothing": 0, "best_effort": 1}


def version():
    return _version_string().decode()


def _s(v):
    return None if v is None else v.decode(errors="replace")


# ---------------------------------------------------------------------
# Errors

OK = 0
ERROR, ENOMEM, EINVAL, EINVALID, ENOTFOUND, EEXISTS, EDENIED = range(-1, -8,
                                                                     -1)
EPOLICY, ECONFIRM, ECONFLICT, ESTORAGE, EMISUSE, EUSER = range(-8, -14, -1)
EPASSTHROUGH, EEXPIRED, EPARSE, EVERSION, EAUTH = range(-14, -19, -1)
_CODE_NAMES = {v: k for k, v in globals().items()
               if k.isupper() and k.startswith("E") and isinstance(v, int)}


class Error(Exception):
    """A refusal: code (negative int), name ("ECONFLICT"), field, rule,
    value (the offending value, never a secret), message (in the
    directory's language) and messages (the library's refusals: the
    message in each language by tag, {"en": ..., "fr": ..., "cs": ...};
    empty for the binding's own)."""

    def __init__(self, code, message, field="", rule="", value="",
                 messages=None):
        self.code = code
        self.name = _CODE_NAMES.get(code, str(code))
        self.message = message
        self.field = field
        self.rule = rule
        self.value = value
        self.messages = dict(messages or {})
        super().__init__(message)


class OutOfMemory(Error):
    pass


class InvalidArgument(Error):
    pass


class InvalidValue(Error):
    pass


class NotFound(Error):
    pass


class AlreadyExists(Error):
    pass


class Denied(Error):
    pass


class PolicyRefusal(Error):
    pass


class ConfirmationRequired(Error):
    pass


class Conflict(Error):
    """Another directory on the same store changed the record first; the
    directory has refreshed itself, look again and retry."""


class StorageError(Error):
    pass


class Misuse(Error):
    """The API was used out of contract: a closed handle, a call from the
    directory's own event callback, a transaction already open."""


class Aborted(Error):
    pass


class Expired(Error):
    pass


class ParseError(Error):
    pass


class VersionError(Error):
    pass


class AuthError(Error):
    pass


_CLASSES = {ENOMEM: OutOfMemory, EINVAL: InvalidArgument,
            EINVALID: InvalidValue, ENOTFOUND: NotFound,
            EEXISTS: AlreadyExists, EDENIED: Denied, EPOLICY: PolicyRefusal,
            ECONFIRM: ConfirmationRequired, ECONFLICT: Conflict,
            ESTORAGE: StorageError, EMISUSE: Misuse, EUSER: Aborted,
            EEXPIRED: Expired, EPARSE: ParseError, EVERSION: VersionError,
            EAUTH: AuthError}


_LANG_TAGS = ("en", "fr", "cs")


def _messages(render):
    """{tag: message} from render(language, buffer, size)."""
    out = {}
    buf = ctypes.create_string_buffer(512)  # ROSTER_ERROR_MESSAGE_MAX
    for lang, tag in enumerate(_LANG_TAGS):
        out[tag] = _s(buf.value) if render(lang, buf, len(buf)) == 0 else ""
    return out


def _error(err, language=None):
    """The exception for a roster_error pointer, its message in
    `language` (a roster_language) when given, else as recorded."""
    code = _err_code(err)
    messages = _messages(lambda lang, buf, n: _err_msg_in(err, lang, buf, n))
    message = _s(_err_msg(err))
    if language is not None and messages.get(_LANG_TAGS[language]):
        message = messages[_LANG_TAGS[language]]
    return _CLASSES.get(code, Error)(
        code, message, _s(_err_field(err)), _s(_err_rule(err)),
        _s(_err_value(err)), messages)


def _misuse(message):
    return Misuse(EMISUSE, message)


def _check_tl(rc, language=None):
    """Raise the calling thread's error (roster_error_last()) for a
    failed call; its message in `language` (a roster_language) when
    given, as a directory's own errors are, else in English."""
    if rc != 0:
        raise _error(_error_last(), language)


def _lookup(table, name, what):
    """table[name], or a KeyError that names what was asked and the
    names there are."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise KeyError("unknown %s: %r (one of: %s)"
                       % (what, name, ", ".join(sorted(table)))) from None


# ---------------------------------------------------------------------
# Actors

def _actor(kind, ident=0):
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise TypeError("an actor's id is an int, not %r" % (ident,))
    if not 0 <= ident < 2**64:
        raise ValueError("an actor's id is from 0 to 2**64 - 1, not %r"
                         % (ident,))
    return _Actor(kind, 0, ident)


SYSTEM = _actor(1)


def partner(ident):
    return _actor(2, ident)


def user(ident):
    return _actor(3, ident)


def _text(s):
    """s for a C string: a NUL would cut it short (a login, a name)."""
    if s is None:
        return None
    if not isinstance(s, str):
        raise TypeError("a string is needed, not %r" % (s,))
    if "\0" in s:
        raise ValueError("a string with a NUL character: %r" % (s,))
    return s.encode()


# ---------------------------------------------------------------------
# Stores

class _Store:
    """A store several directories may share. Close it (or leave the
    block) after its directories; closing it while one is open is
    refused with Misuse."""

    _free_fn = None
    _methods_fn = None
    _h = None
    _users = 0
    _closing = False

    def __init__(self, handle):
        self._h = handle
        self._users = 0          # open directories on this store
        self._closing = False    # finalised while a directory held it
        # directories of several threads open and close on one store
        self._lock = threading.Lock()

    def _acquire(self):
        with self._lock:
            if not self._h:
                raise _misuse("the store is closed")
            self._users += 1
            return self._h

    def _release(self):
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._closing:
                self._destroy()

    def _destroy(self):
        if self._h:
            type(self)._free_fn(self._h)
            self._h = None

    def close(self):
        with self._lock:
            if self._users:
                raise _misuse("close the directories on this store first")
            self._destroy()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        # Reached only when no directory refers to the store any more,
        # except when both are garbage of one cycle: then the last
        # directory to close frees it.
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if self._users:
                self._closing = True
            else:
                self._destroy()


class MemStore(_Store):
    """A store in memory that several directories may share."""

    _free_fn = staticmethod(_memstore_free)
    _methods_fn = staticmethod(_memstore_methods)

    def __init__(self):
        h = _p()
        _check_tl(_memstore_new(ctypes.byref(h)))
        super().__init__(h)


class FileStore(_Store):
    """The crash-safe file store at `path` (created when absent).
    nosync=True skips fsync (tests): it survives a killed process, not a
    power cut."""

    _free_fn = staticmethod(_filestore_free)
    _methods_fn = staticmethod(_filestore_methods)

    def __init__(self, path, nosync=False):
        h = _p()
        if b"\0" in os.fsencode(path):
            raise ValueError("a path with a NUL character: %r" % (path,))
        _check_tl(_filestore_open(os.fsencode(path),
                                  _FILESTORE_NOSYNC if nosync else 0,
                                  ctypes.byref(h)))
        super().__init__(h)
        self.path = path


# ---------------------------------------------------------------------
# Events

def _event(ev):
    """Copy an event out while it is valid (its secrets are wiped once
    the callback returns)."""
    withheld = _ev_withheld(ev)
    return {
        "seq": _ev_seq(ev), "type": _s(_ev_name(_ev_type(ev))),
        "partner": _ev_partner(ev), "account": _ev_account(ev),
        "user": _ev_user(ev), "pbx": _ev_pbx(ev),
        "email": _s(_ev_email(ev)), "secret": _s(_ev_secret(ev)),
        "password": _s(_ev_password(ev)), "admin": bool(_ev_admin(ev)),
        "replayed": bool(_ev_replayed(ev)),
        "withheld": frozenset(
            n for bit, n in ((_WITHHELD_SECRET, "secret"),
                             (_WITHHELD_PASSWORD, "password"))
            if withheld & bit)}


class _Sink:
    """Receives a directory's events. It holds no reference to the
    Directory, so that a directory is freed as soon as it is unused."""

    def __init__(self, on_event):
        self.on_event = on_event
        self.events = []
        self.error = None
        self.depth = 0
        self.cb = _EVENT_CB(self)

    def __call__(self, ev, _data):
        self.depth += 1
        try:
            e = _event(ev)
            if self.on_event is None:
                self.events.append(e)
            else:
                self.on_event(e)
        except BaseException as exc:  # raised once the roster call returns
            if self.error is None:
                self.error = exc
        finally:
            self.depth -= 1


# ---------------------------------------------------------------------
# The directory

class Directory:
    """A roster directory.

    Directory(language="en", path=None, store=None, nosync=False,
              on_event=None, outbox=True)

    Without path or store it lives in memory. path= opens a FileStore of
    its own, closed with the directory; store= shares a FileStore or
    MemStore with other directories. Events go to on_event(event) (a
    dict: seq, type, partner, account, user, pbx, email, secret,
    password, admin, replayed, withheld) or, without it, to the list
    .events that the host drains. An exception raised by on_event is
    raised by the call that delivered the event, after the change was
    committed; later events of that call are still delivered.
    outbox=False opens with ROSTER_DIRECTORY_NO_OUTBOX.

    Threads may share a directory: its calls take turns (the library
    takes one thread at a time in a directory), and on_event runs in the
    thread whose call delivers the event."""

    def __init__(self, language="en", path=None, store=None, nosync=False,
                 on_event=None, outbox=True):
        self._lock = threading.RLock()
        self._d = None
        self._store = None
        self._owns_store = False
        self._io = 0  # import or export calls under way (their callbacks)
        if path is not None and store is not None:
            raise ValueError("give path or store, not both")
        if nosync and path is None:
            raise ValueError("nosync applies to path only")
        self._sink = _Sink(on_event)
        opts = _Options()
        _check_tl(_options_init(ctypes.byref(opts), _OPTIONS_VERSION))
        opts.language = self._language = _parse_language(language)
        opts.event_cb = ctypes.cast(self._sink.cb, _p)
        opts.flags = 0 if outbox else _NO_OUTBOX
        if path is not None:
            store = FileStore(path, nosync=nosync)
            self._owns_store = True
        if store is not None:
            opts.storage = type(store)._methods_fn()
            opts.store = store._acquire()
            self._store = store
        d = _p()
        try:
            _check_tl(_open(ctypes.byref(d), ctypes.byref(opts)),
                      self._language)
        except BaseException:
            self._drop_store()
            raise
        self._d = d

    def _drop_store(self):
        store, self._store = self._store, None
        if store is not None:
            store._release()
            if self._owns_store:
                store.close()

    def close(self):
        """Free the directory (an open transaction is rolled back), then
        its own file store. Calls on a closed directory raise Misuse."""
        if self._sink.depth or self._io:
            raise _misuse("a directory cannot be closed from its own "
                          "callback (an event, an import's read, an "
                          "export's write)")
        if self._d:
            _free(self._d)
            self._d = None
            self._drop_store()

    @property
    def closed(self):
        return not self._d

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_d", None) and not self._sink.depth and \
                not self._io:
            self.close()

    @property
    def events(self):
        return self._sink.events

    @property
    def on_event(self):
        return self._sink.on_event

    @on_event.setter
    def on_event(self, fn):
        self._sink.on_event = fn

    def _h(self):
        if not self._d:
            raise _misuse("the directory is closed")
        return self._d

    def _check_tl(self, rc):
        """Raise the thread's error of a call that takes no directory (a
        form's or a query's setter), its message in the directory's
        language as the directory's own errors are."""
        _check_tl(rc, self._language)

    def _check(self, rc):
        """Raise the call's refusal, else an exception of the event
        callback raised during the call. A call made from inside the
        callback (refused) leaves the outer call's exception to it."""
        if self._sink.depth:
            pending = None
        else:
            pending, self._sink.error = self._sink.error, None
        if rc != 0:
            err = _error(_dir_error(self._d))
            err.__context__ = pending
            raise err
        if pending is not None:
            raise pending

    # Transactions ----------------------------------------------------

    def begin(self):
        self._check(_txn_begin(self._h()))

    def commit(self):
        self._check(_txn_commit(self._h()))

    def rollback(self):
        self._check(_txn_rollback(self._h()))

    @property
    def in_transaction(self):
        with self._lock:
            return bool(self._d) and bool(_txn_active(self._d))

    def preview(self):
        """What the open transaction would do if committed (a dry run:
        roll back after): a dict of events (as delivered, seq 0, secrets
        withheld), deltas (dicts: kind "pack" at a site or "product" of
        an account, record, item, purchased and in_use changes) and
        billing (dicts: user, what: a frozenset of "licence", "pack",
        "products", "options", "billable")."""
        pv = _p()
        self._check(_preview(ctypes.byref(pv), self._h()))
        try:
            events = [_event(_pv_event(pv, i))
                      for i in range(_pv_nevents(pv))]
            deltas = []
            for i in range(_pv_ndeltas(pv)):
                kind, rec, item = _int(), _id(), _str()
                bought, used = ctypes.c_longlong(), ctypes.c_longlong()
                _check_tl(_pv_delta(pv, i, ctypes.byref(kind),
                                    ctypes.byref(rec), ctypes.byref(item),
                                    ctypes.byref(bought),
                                    ctypes.byref(used)))
                deltas.append({"kind": _ITEM_NAMES.get(kind.value),
                               "record": rec.value, "item": _s(item.value),
                               "purchased": bought.value,
                               "in_use": used.value})
            billing = [{"user": _pv_bill_user(pv, i),
                        "what": frozenset(n for bit, n in _BILL_BITS
                                          if _pv_bill_what(pv, i) & bit)}
                       for i in range(_pv_nbilling(pv))]
            return {"events": events, "deltas": deltas, "billing": billing}
        finally:
            _preview_free(pv)

    def transaction(self):
        """A context manager: commit on success, roll back on exception."""
        d = self

        class _Txn:
            def __enter__(self):
                d.begin()
                return d

            def __exit__(self, kind, value, tb):
                if kind is None:
                    d.commit()
                elif d.in_transaction:
                    d.rollback()
                return False
        return _Txn()

    # The store -------------------------------------------------------

    def refresh(self):
        """Read the store again to see other directories' commits."""
        self._check(_refresh(self._h()))

    def outbox_replay(self, max=0):
        """Deliver again, oldest first, at most `max` (0: all) events
        still in the store's outbox; returns how many."""
        n = _size()
        self._check(_replay(self._h(), max, ctypes.byref(n)))
        return n.value

    def outbox_ack(self, first, last=None):
        """Remove the events numbered first..last (inclusive) from the
        outbox; returns how many this call removed."""
        n = _size()
        self._check(_ack(self._h(), first, first if last is None else last,
                         ctypes.byref(n)))
        return n.value

    # Records ---------------------------------------------------------

    def set_language(self, language):
        lang = _parse_language(language, self._language)
        self._check(_set_lang(self._h(), lang))
        self._language = lang

    def _create(self, fn, *args):
        out = _id()
        self._check(fn(ctypes.byref(out), self._h(), *args))
        return out.value

    def partner_create(self, actor, name):
        return self._create(_partner_create, actor, _text(name))

    def account_create(self, actor, partner_id, name):
        return self._create(_account_create, actor, partner_id, _text(name))

    def site_create(self, actor, account, name):
        return self._create(_site_create, actor, account, _text(name))

    def group_create(self, actor, account, name):
        return self._create(_group_create, actor, account, _text(name))

    def pbx_create(self, actor, account, name, min_digits, max_digits):
        return self._create(_pbx_create, actor, account, _text(name),
                            min_digits, max_digits)

    def record_get(self, ident):
        """A partner, account, site, PBX or group as a dict: id, kind
        (a name of KINDS), parent, name, members; accounts also admins,
        helpdesk, edition (or None) and licences; PBXes min_digits and
        max_digits."""
        rec = _p()
        self._check(_record_get(ctypes.byref(rec), self._h(), ident))
        try:
            kind = _KIND_NAMES.get(_rec_kind(rec))
            out = {"id": _rec_id(rec), "kind": kind,
                   "parent": _rec_parent(rec), "name": _s(_rec_name(rec)),
                   "members": _rec_members(rec)}
            if kind == "account":
                out["admins"] = _rec_admins(rec)
                out["helpdesk"] = bool(_rec_helpdesk(rec))
                out["edition"] = _s(_rec_edition(rec))
                out["licences"] = [_s(_rec_licence(rec, i)) for i in
                                   range(_rec_nlicences(rec))]
            elif kind == "pbx":
                out["min_digits"] = _rec_min(rec)
                out["max_digits"] = _rec_max(rec)
            return out
        finally:
            _record_free(rec)

    def record_find(self, parent, kind, name):
        """The id of the record of `kind` (a name of KINDS, not "user")
        under `parent` (0 for partners) named `name`, case and spaces
        aside as names are kept unique; NotFound when none is."""
        out = _id()
        self._check(_record_find(ctypes.byref(out), self._h(), parent,
                                 _lookup(KINDS, kind, "kind"), _text(name)))
        return out.value

    def record_rename(self, actor, ident, name):
        """Rename a partner, account, site, PBX or group."""
        self._check(_rename(self._h(), actor, ident, _text(name)))

    def record_delete(self, actor, ident):
        """Delete a partner, account, site, PBX or group (refused while
        in use; users go with user_delete)."""
        self._check(_record_delete(self._h(), actor, ident))

    def list_records(self, parent, kind, cursor=None, limit=100):
        """One page of the records of `kind` (a name of KINDS) under
        `parent` (0 for partners), in id order: (ids, cursor, total),
        cursor None on the last page."""
        page = _p()
        self._check(_list(ctypes.byref(page), self._h(), parent,
                          _lookup(KINDS, kind, "kind"), _text(cursor),
                          limit))
        try:
            ids = [_page_id(page, i) for i in range(_page_count(page))]
            return ids, _s(_page_next(page)), _page_total(page)
        finally:
            _page_free(page)

    # Account services and licences, stations --------------------------

    def account_set_helpdesk(self, actor, account, ordered):
        """Order (True) or cancel (False) the account's Helpdesk."""
        if not isinstance(ordered, bool):
            raise TypeError("ordered takes True or False, not %r"
                            % (ordered,))
        self._check(_set_helpdesk(self._h(), actor, account, int(ordered)))

    def account_set_licences(self, actor, account, edition, licences):
        """Give the account its edition (None for none) and the
        licences (catalog ids) its users may hold."""
        if isinstance(licences, str):
            raise TypeError("licences is a list of ids, not a string")
        ids = [_text(x) for x in licences]
        arr = (_str * max(len(ids), 1))(*ids)
        self._check(_set_licences(self._h(), actor, account, _text(edition),
                                  arr, len(ids)))

    def station_order(self, actor, site, pack, count):
        """Add `count` purchased stations of `pack` to a site."""
        self._check(_station_order(self._h(), actor, site, _text(pack),
                                   _uint32(count, "count")))

    def station_disconnect(self, actor, site, pack, count):
        """Remove `count` available stations of `pack` from a site."""
        self._check(_station_disconnect(self._h(), actor, site, _text(pack),
                                        _uint32(count, "count")))

    def station_counts(self, actor, site, pack):
        """(purchased, in_service) stations of `pack` at a site."""
        bought, used = _size(), _size()
        self._check(_station_counts(self._h(), actor, site, _text(pack),
                                    ctypes.byref(bought),
                                    ctypes.byref(used)))
        return bought.value, used.value

    # Users -----------------------------------------------------------

    def _form(self, values):
        form = _p()
        self._check(_form_new(ctypes.byref(form), self._h()))
        try:
            for name, value in values.items():
                if name == "numbers_country":
                    # not a field: the country of national numbers
                    if value is not None and not isinstance(value, str):
                        raise TypeError("numbers_country takes a "
                                        "two-letter code, not %r" % (value,))
                    self._check_tl(_form_country(form, _text(value)))
                    continue
                if name == "expect_version":
                    # not a field: the version the form was made from
                    if isinstance(value, bool) or not \
                            isinstance(value, (int, type(None))):
                        raise TypeError("expect_version takes a version "
                                        "(an int), not %r" % (value,))
                    if value is not None and not 0 <= value < 2**64:
                        raise ValueError("expect_version must be from 0 "
                                         "to 2**64 - 1, not %r" % value)
                    self._check_tl(_form_expect(form, value or 0))
                    continue
                if name in ("confirm_downgrade", "generate_password"):
                    if not isinstance(value, bool):
                        raise TypeError("%s takes True or False, not %r"
                                        % (name, value))
                    if not value:
                        continue
                    self._check_tl(_form_confirm(form, _CONFIRM_DOWNGRADE)
                                   if name == "confirm_downgrade"
                                   else _form_generate(form))
                    continue
                num, typ = _lookup(FIELDS, name, "field")
                if typ == _STRING:
                    if value is not None and not isinstance(value, str):
                        raise TypeError("field %s takes a string, not %r"
                                        % (name, value))
                    rc = _form_str(form, num, _text(value))
                elif typ == _BOOL:
                    # not truth: the string "false" would grant the flag
                    if value not in (0, 1) or \
                            not isinstance(value, int):
                        raise TypeError("field %s takes True or False, "
                                        "not %r" % (name, value))
                    rc = _form_bool(form, num, int(value))
                elif typ == _REF:
                    if isinstance(value, bool) or not \
                            isinstance(value, (int, type(None))):
                        raise TypeError("field %s takes an id (an int), "
                                        "not %r" % (name, value))
                    rc = _form_ref(form, num, value or 0)
                elif typ == _LIST:
                    if isinstance(value, (str, bytes)):
                        raise TypeError("field %s takes a list of strings"
                                        % name)
                    arr = (_str * max(len(value), 1))(
                        *[_text(v) for v in value])
                    rc = _form_lines(form, arr, len(value))
                else:
                    raise TypeError("field %s cannot be set" % name)
                self._check_tl(rc)
        except BaseException:
            _form_free(form)
            raise
        return form

    def user_create(self, actor, account, **values):
        form = self._form(values)
        try:
            return self._create(_user_create, actor, account, form)
        finally:
            _form_free(form)

    def user_update(self, actor, user_id, **values):
        form = self._form(values)
        try:
            self._check(_user_update(self._h(), actor, user_id, form))
        finally:
            _form_free(form)

    def user_delete(self, actor, user_id):
        self._check(_user_delete(self._h(), actor, user_id))

    def user_get(self, user_id):
        """The user's fields by name (no password), with id, account,
        has_password and version (give it back as the form value
        expect_version so that saving over someone else's change since
        is refused with Conflict)."""
        snap = _p()
        self._check(_user_get(ctypes.byref(snap), self._h(), user_id))
        try:
            out = {}
            for name, (num, typ) in FIELDS.items():
                if typ == _STRING:
                    out[name] = _s(_user_str(snap, num))
                elif typ == _BOOL:
                    out[name] = bool(_user_bool(snap, num))
                elif typ == _REF:
                    out[name] = _user_ref(snap, num)
                elif typ == _LIST:
                    out[name] = [_user_line(snap, i).decode()
                                 for i in range(_user_nlines(snap))]
            del out["password"]
            out["products"] = [_user_product(snap, i).decode()
                               for i in range(_user_nproducts(snap))]
            out["has_password"] = bool(_user_has_password(snap))
            out["version"] = _user_version(snap)
            out["id"] = _user_id(snap)
            out["account"] = _user_account(snap)
            return out
        finally:
            _user_free(snap)

    def find_login(self, email):
        """The user whose login this is (case-insensitively), or None."""
        out = _id()
        rc = _user_find(ctypes.byref(out), self._h(), _text(email))
        if rc == ENOTFOUND:
            return None
        self._check(rc)
        return out.value

    def may_edit(self, actor, target, field):
        """Whether `actor` may set `field` of `target` (a user: the edit
        form; an account: the creation form in it), as applying the form
        decides: a portal greys out a field answered False. field_access
        also gives the reason."""
        return self.field_access(actor, target, field)[0]

    def field_access(self, actor, target, field):
        """(allowed, reason): may_edit's answer, and when False the
        reason as an Error, not raised (rule, field, message in the
        directory's language, messages), for the greyed-out field's
        tooltip; None when allowed."""
        out = _int()
        self._check(_field_access(ctypes.byref(out), self._h(), actor,
                                  target,
                                  _lookup(FIELDS, field, "field")[0]))
        if out.value:
            return True, None
        return False, _error(_dir_error(self._h()))

    def user_choices(self, actor, account=0, user=0, language=None):
        """What `user` (0: a new user of `account`) may be given, as
        `actor` sees it: every licence, then every station pack of the
        catalog, each a dict: kind ("licence" or "pack"), item, name,
        current, allowed and reasons (dicts: rule, param, message), names
        and messages in `language` (default: the directory's)."""
        lang = self._language if language is None else \
            _parse_language(language, self._language)
        ch = _p()
        self._check(_choices(ctypes.byref(ch), self._h(), actor, account,
                             user))
        try:
            out = []
            for i in range(_ch_count(ch)):
                out.append({
                    "kind": _ITEM_NAMES.get(_ch_kind(ch, i)),
                    "item": _s(_ch_item(ch, i)),
                    "name": _s(_ch_name(ch, i, lang)),
                    "current": bool(_ch_current(ch, i)),
                    "allowed": bool(_ch_allowed(ch, i)),
                    "reasons": [{"rule": _s(_ch_reason(ch, i, r)),
                                 "param": _s(_ch_param(ch, i, r)),
                                 "message": _s(_ch_message(ch, i, r, lang))}
                                for r in range(_ch_nreasons(ch, i))]})
            return out
        finally:
            _choices_free(ch)

    def billing_summary(self, actor, account):
        """What an account is invoiced for: a dict of users (billable),
        excluded (do-not-bill) and lines, one dict (kind: "licence",
        "pack", "product" or "option"; item; quantity) per catalog item
        and paid option."""
        b = _p()
        self._check(_billing(ctypes.byref(b), self._h(), actor, account))
        try:
            return {"users": _bill_users(b), "excluded": _bill_excluded(b),
                    "lines": [{"kind": _ITEM_NAMES.get(_bill_kind(b, i)),
                               "item": _s(_bill_item(b, i)),
                               "quantity": _bill_quantity(b, i)}
                              for i in range(_bill_count(b))]}
        finally:
            _billing_free(b)

    def set_catalog(self, path=None, xml=None):
        """Decide with the catalog in the file at `path` or in `xml`
        (bytes or str) from now on; returns the ids of the users whose
        licence, pack or product licences it no longer allows (reported,
        never changed). A malformed catalog raises ParseError (the value
        names its line)."""
        if (path is None) == (xml is None):
            raise ValueError("give path or xml, one of them")
        cat = _p()
        if path is not None:
            if b"\0" in os.fsencode(path):
                raise ValueError("a path with a NUL character: %r" % (path,))
            self._check_tl(_cat_load_file(ctypes.byref(cat),
                                          os.fsencode(path)))
        else:
            if isinstance(xml, str):
                xml = xml.encode()
            data = bytes(xml)
            self._check_tl(_cat_load_buffer(ctypes.byref(cat), data,
                                            len(data), None))
        page = _p()
        try:
            self._check(_set_catalog(self._h(), cat, ctypes.byref(page)))
        finally:
            _cat_free(cat)  # the directory holds its own reference
        try:
            return [_page_id(page, i) for i in range(_page_count(page))]
        finally:
            _page_free(page)

    def catalog_items(self, kind, edition=None, language=None):
        """The items of a kind (a name of ITEMS) of the directory's
        catalog, in catalog order: a list of (id, name), names as
        `edition` (or none) names them in `language` (default: the
        directory's)."""
        lang = self._language if language is None else \
            _parse_language(language, self._language)
        k = _lookup(ITEMS, kind, "kind of item")
        cat = _dir_catalog(self._h())
        if not cat:
            self._check(ERROR)
        try:
            out = []
            for i in range(_cat_count(cat, k)):
                ident = _cat_item(cat, k, i)
                out.append((_s(ident), _s(_cat_name(cat, k, ident, lang,
                                                    _text(edition)))))
            return out
        finally:
            _cat_free(cat)

    def password_check(self, password):
        """Check a candidate password against the directory's policy:
        InvalidValue (rule password.length, password.classes...) when
        refused."""
        self._check(_password_check(self._h(), _text(password)))

    def password_policy(self):
        """The directory's password policy (the default, or its
        catalog's, or the last set): a dict of min_length, max_length,
        required_classes (a sorted list of names of PASSWORD_CLASSES),
        generated_length, hash_cost, reset_ttl and welcome_ttl (seconds),
        as a password form shows its rules."""
        pol = _Policy()
        pol.version = _POLICY_VERSION
        self._check_tl(_get_policy(self._h(), ctypes.byref(pol)))
        out = {name: getattr(pol, name) for name, _t in _Policy._fields_
               if name != "version"}
        out["required_classes"] = sorted(
            n for n, bit in PASSWORD_CLASSES.items()
            if out["required_classes"] & bit)
        return out

    def set_password_policy(self, **members):
        """Change members of the directory's password policy (the names
        password_policy() gives; required_classes a list of names of
        PASSWORD_CLASSES), the others kept; checked as a whole
        (InvalidArgument, rule policy.range, naming the member). Refused
        with Misuse while a transaction is open. A set_catalog() later
        replaces it with the catalog's. It is the directory's, not the
        store's: set it each time a Directory opens."""
        pol = _Policy()
        pol.version = _POLICY_VERSION
        self._check_tl(_get_policy(self._h(), ctypes.byref(pol)))
        names = {n: t for n, t in _Policy._fields_ if n != "version"}
        for name, value in members.items():
            _lookup(names, name, "policy member")
            if name == "required_classes":
                if isinstance(value, str):
                    raise TypeError("required_classes is a list of names, "
                                    "not a string")
                value = sum(set(_lookup(PASSWORD_CLASSES, c,
                                        "character class")
                                for c in value))
            elif not isinstance(value, int) or isinstance(value, bool):
                raise TypeError("%s takes an int, not %r" % (name, value))
            lo, hi = _RANGES[ctypes.c_uint] if names[name] is _uint else \
                (-2**63, 2**63 - 1)
            if not lo <= value <= hi:
                raise ValueError("%s out of range: %r" % (name, value))
            setattr(pol, name, value)
        self._check(_set_policy(self._h(), ctypes.byref(pol)))

    def password_generate(self):
        """A password generated to the policy (the CSPRNG's), as
        generate_password=True gives one to a form."""
        n = self.password_policy()["generated_length"] + 1
        buf = ctypes.create_string_buffer(n)
        try:
            self._check(_password_generate(self._h(), buf, n))
            return buf.value.decode()
        finally:
            ctypes.memset(buf, 0, n)

    # Passwords -------------------------------------------------------

    def login(self, email, password):
        return self._create(_login, _text(email), _text(password))

    def _bulk(self, fn, actor, account, users):
        if users is None:
            arr, n = None, 0
        else:
            n = len(users)
            arr = _ids(users)
        self._check(fn(self._h(), actor, account, arr, n))

    def password_reset(self, actor, account, users=None):
        """Password reset e-mails (events) for `users`, or all users."""
        self._bulk(_password_reset, actor, account, users)

    def welcome_send(self, actor, account, users=None):
        """Welcome e-mails (events) again for `users`, or all users."""
        self._bulk(_welcome_send, actor, account, users)

    def token_redeem(self, token, password):
        """Redeem a reset or activation token; returns the user."""
        return self._create(_token_redeem, _text(token), _text(password))


    # Search -----------------------------------------------------------

    def _query(self, text, filters, licence, pack, product, group, site):
        if filters is None:
            filters = ()
        elif isinstance(filters, str):
            filters = (filters,)
        q = _p()
        self._check_tl(_query_new(ctypes.byref(q)))
        try:
            self._check_tl(_query_text(q, _text(text)))
            for name in filters:
                self._check_tl(_query_filter(q, _lookup(FILTERS, name,
                                                        "filter")))
            items = {"licence": licence, "pack": pack, "product": product}
            for name, kind in _ITEMS:
                if items[name] is not None:
                    self._check_tl(_query_item(q, kind,
                                               _text(items[name])))
            refs = {"group": group, "site": site}
            for name, field in _REFS:
                ref = refs[name]
                if isinstance(ref, bool) or not \
                        isinstance(ref, (int, type(None))):
                    raise TypeError("%s takes an id (an int), not %r"
                                    % (name, ref))
                if ref:
                    self._check_tl(_query_ref(q, field, ref))
        except BaseException:
            _query_free(q)
            raise
        return q

    def search(self, actor, account=0, text=None, filters=(), licence=None,
               pack=None, product=None, group=None, site=None, cursor=None,
               limit=20):
        """One page of the users that match, in the documented order
        (account, last name, first name, id): (ids, cursor), cursor None
        on the last page, else passed back for the next one. account 0
        searches every account the actor may manage, and is for the
        system and partners: an account admin names its account (0 raises
        Denied, auth.scope). filters names FILTERS ("admins", "cloud",
        ...); group and site take ids (list_records, record_get)."""
        q = self._query(text, filters, licence, pack, product, group, site)
        page = _p()
        try:
            self._check(_search(ctypes.byref(page), self._h(), actor,
                                account, q, _text(cursor), limit))
        finally:
            _query_free(q)
        try:
            ids = [_page_id(page, i) for i in range(_page_count(page))]
            return ids, _s(_page_next(page))
        finally:
            _page_free(page)

    def search_all(self, actor, account=0, text=None, page_size=100,
                   **filters):
        """Every match, in order, paging through search()."""
        cursor = None
        while True:
            ids, cursor = self.search(actor, account, text, cursor=cursor,
                                      limit=page_size, **filters)
            yield from ids
            if cursor is None:
                return

    def search_count(self, actor, account=0, text=None, filters=(),
                     licence=None, pack=None, product=None, group=None,
                     site=None):
        """The number of users that match."""
        q = self._query(text, filters, licence, pack, product, group, site)
        n = _size()
        try:
            self._check(_search_count(ctypes.byref(n), self._h(), actor,
                                      account, q))
        finally:
            _query_free(q)
        return n.value

    # Import and export ------------------------------------------------

    def import_users(self, actor, account, source=None, path=None,
                     format="csv", mode="all_or_nothing", dry_run=False,
                     max_errors=0, country=None):
        """Import users into `account` from `source` (bytes, str or a
        binary file object) or the file at `path`, in format "csv" or
        "xml". Returns an ImportReport. A refused import (rows refused in
        all_or_nothing mode or a dry run: InvalidValue; a malformed file:
        ParseError) raises, with the report as the exception's .report,
        and so does an exception of on_event raised after the import
        committed. The source must give bytes (a file opened "rb").
        max_errors (0: no limit) stops reading at that many refused
        rows: the rest of the file is neither imported nor reported, and
        a best_effort import returns normally, with report.stopped
        True. country
        ("FR") takes the file's national numbers (phone, lines) as
        numbers of that country: "01 44 55 66 77" is +33144556677; an
        unknown country raises InvalidArgument (field country)."""
        if (source is None) == (path is None):
            raise ValueError("give source or path, one of them")
        opts = _ImportOptions()
        _check_tl(_import_options_init(ctypes.byref(opts), 2))
        if country is not None:
            if not isinstance(country, str) or len(country) != 2 or \
                    not country.isascii():
                raise ValueError("country is a two-letter code (\"FR\"), "
                                 "not %r" % (country,))
            opts.country = country.encode()
        opts.mode = _lookup(_MODES, mode, "mode")
        fmt = _lookup(_FORMATS, format, "format")
        opts.dry_run = 1 if dry_run else 0
        opts.max_errors = _uint32(max_errors, "max_errors")
        if path is not None:
            with open(path, "rb") as f:
                return self._import(actor, account, f, fmt, opts)
        if isinstance(source, str):
            source = source.encode()
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(source)
        return self._import(actor, account, source, fmt, opts)

    def _import(self, actor, account, f, fmt, opts):
        failed = []

        def read(_data, buf, n):
            try:
                chunk = f.read(n)
                if isinstance(chunk, bytearray):
                    chunk = bytes(chunk)
                if chunk is None:  # a raw non-blocking file, empty now
                    raise BlockingIOError("the source would block: an "
                                          "import reads it to its end")
                if not isinstance(chunk, bytes):
                    raise TypeError("the source must be read in binary "
                                    "mode (bytes), not " +
                                    type(chunk).__name__)
                if len(chunk) > n:
                    raise ValueError("read() returned too much")
                ctypes.memmove(buf, chunk, len(chunk))
                return len(chunk)
            except BaseException as exc:  # raised once roster returns
                failed.append(exc)
                return -1
        cb = _READ_FN(read)
        rep = _p()
        h = self._h()
        self._io += 1
        try:
            rc = _import(ctypes.byref(rep), h, actor, account,
                         fmt, cb, None, ctypes.byref(opts))
        finally:
            self._io -= 1
        try:
            report = ImportReport(rep) if rep else None
        except BaseException:
            # raised instead of the call's outcome, which goes with it
            self._sink.error = None
            raise
        finally:
            if rep:
                _report_free(rep)
        if failed:
            self._sink.error = None
            raise failed[0]
        try:
            self._check(rc)
        except BaseException as err:
            # a refusal, or the on_event callback's exception after a
            # committed import: either way the report goes with it
            try:
                err.report = report
            except AttributeError:
                pass
            raise
        return report

    def export_users(self, actor, account, format="csv", file=None):
        """The users of `account` as CSV or XML: bytes, or written to
        the binary file object `file`. A raw file (io.RawIOBase) that
        writes part of a piece is given the rest; one that would block
        raises BlockingIOError."""
        fmt = _lookup(_FORMATS, format, "format")
        out = [] if file is None else None
        failed = []

        def write(_data, buf, n):
            try:
                chunk = ctypes.string_at(buf, n)
                if out is None:
                    _write_all(file, chunk)
                else:
                    out.append(chunk)
                return 0
            except BaseException as exc:
                failed.append(exc)
                return 1
        cb = _WRITE_FN(write)
        h = self._h()
        self._io += 1
        try:
            rc = _export(h, actor, account, fmt, cb, None)
        finally:
            self._io -= 1
        if failed:
            self._sink.error = None
            raise failed[0]
        self._check(rc)
        return None if out is None else b"".join(out)

    # Product licences -------------------------------------------------

    def product_purchase(self, actor, account, product, count):
        self._check(_product_purchase(self._h(), actor, account,
                                      _text(product),
                                      _uint32(count, "count")))

    def product_release(self, actor, account, product, count):
        self._check(_product_release(self._h(), actor, account,
                                     _text(product),
                                     _uint32(count, "count")))

    def _assign(self, fn, actor, product, users):
        n = len(users)
        arr = _ids(users)
        done = _size()
        try:
            self._check(fn(self._h(), actor, _text(product), arr, n,
                           ctypes.byref(done)))
        except BaseException as exc:
            # the call went through when the event callback raised: the
            # count goes with its exception, as an import's report does
            exc.count = done.value
            raise
        return done.value

    def product_assign(self, actor, product, users):
        """Assign the product licence to every user listed, in one
        transaction (refused as a whole); returns how many did not hold
        it before. An exception of on_event raised after the assignment
        committed carries that count as .count."""
        return self._assign(_product_assign, actor, product, users)

    def product_unassign(self, actor, product, users):
        """Take the product licence back from the users listed; returns
        how many held it."""
        return self._assign(_product_unassign, actor, product, users)

    def product_counts(self, actor, account, product):
        """(purchased, assigned) of a product licence in an account."""
        bought, used = _size(), _size()
        self._check(_product_counts(self._h(), actor, account,
                                    _text(product), ctypes.byref(bought),
                                    ctypes.byref(used)))
        return bought.value, used.value


def _serialised(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return call


# ctypes lets go of the GIL during a call, and a directory takes one
# thread at a time (include/roster/common.h): each public method holds
# the directory's lock, re-entrant so that a call from its own event
# callback is refused by the library (EMISUSE) rather than waiting.
for _name, _method in list(vars(Directory).items()):
    if not _name.startswith("_") and callable(_method):
        setattr(Directory, _name, _serialised(_method))


class ImportReport:
    """The outcome of an import: rows (data rows read), created (users
    made), stopped (True when the import stopped reading at max_errors
    refused rows: the rest of the file, if any, was neither imported nor
    reported) and errors, a list of dicts (line, column, code, name,
    rule, value: what was refused, "" for none, message, and messages:
    the message in each language by tag), one per refused row or
    cell."""

    def __init__(self, rep):
        self.rows = _report_rows(rep)
        self.created = _report_created(rep)
        self.stopped = bool(_report_stopped(rep))
        self.errors = []
        for i in range(_report_errors(rep)):
            code = _report_code(rep, i)
            self.errors.append({
                "line": _report_line(rep, i),
                "column": _s(_report_column(rep, i)),
                "code": code, "name": _CODE_NAMES.get(code, str(code)),
                "rule": _s(_report_rule(rep, i)),
                "value": _s(_report_value(rep, i)),
                "message": _s(_report_message(rep, i)),
                "messages": _messages(
                    lambda lang, buf, n, i=i:
                    _report_message_in(rep, i, lang, buf, n))})

    def __repr__(self):
        return "<ImportReport rows=%d created=%d errors=%d>" % (
            self.rows, self.created, len(self.errors))


def _ids(users):
    """A C array of user ids, each checked (ctypes wraps them)."""
    for u in users:
        if not isinstance(u, int) or isinstance(u, bool):
            raise TypeError("a user id is an int, not %r" % (u,))
        if not 0 <= u < 2**64:
            raise ValueError("a user id is from 0 to 2**64 - 1, not %r"
                             % (u,))
    return (_id * max(len(users), 1))(*users)


def _write_all(file, chunk):
    """Write all of chunk to file. A raw file's write() may take part of
    it and return how much (None: it would block); another file object
    takes it all, whatever its write() returns."""
    while chunk:
        n = file.write(chunk)
        if not isinstance(file, io.RawIOBase):
            return
        if n is None:
            raise BlockingIOError("the file would block; %d bytes of the "
                                  "export not written" % len(chunk))
        if not isinstance(n, int) or not 0 < n <= len(chunk):
            raise OSError("write() wrote %r of %d bytes" % (n, len(chunk)))
        chunk = chunk[n:]


def _uint32(v, name):
    """v for an unsigned int argument, which ctypes would wrap."""
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 2**32:
        raise ValueError("%s must be an integer from 0 to 2**32 - 1, not %r"
                         % (name, v))
    return v


def field_label(field, language="en"):
    """The display label of a user field (a name of FIELDS) in a
    language, in lower case as messages use it ("prénom")."""
    return _s(_field_label(_lookup(FIELDS, field, "field")[0],
                           _parse_language(language)))


def phone_languages():
    """The phone languages users may choose (BCP 47 tags)."""
    out = []
    while True:
        tag = _phone_language(len(out))
        if tag is None:
            return out
        out.append(_s(tag))


def _parse_language(tag, language=None):
    """The roster_language of `tag`; a bad one refused in `language`
    (a directory's, when a directory is asked), else in English."""
    lang = _int()
    _check_tl(_lang_parse(ctypes.byref(lang), _text(tag)), language)
    return lang.value
