"""Python bindings of roster over ctypes (standard library only).

    import roster
    d = roster.Directory(language="fr")
    system = roster.SYSTEM
    p = d.partner_create(system, "Reseller")
    a = d.account_create(roster.partner(p), p, "Acme")
    u = d.user_create(roster.partner(p), a, first_name="Marie",
                      last_name="Dvořáková", email="marie@acme.example")
    print(d.user_get(u)["display_name"])

Failures raise roster.Error with .code, .rule, .field, .value and the
message in the directory's language. The library is found through the
ROSTER_LIB environment variable, else as libroster.so.0.
"""
import ctypes
import os

_lib = ctypes.CDLL(os.environ.get("ROSTER_LIB", "libroster.so.0"))

_id = ctypes.c_uint64
_p = ctypes.c_void_p


def _fn(name, res, *args):
    f = getattr(_lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


class _Actor(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("id", _id)]


class _Options(ctypes.Structure):
    # roster_directory_options, version 1
    _fields_ = [("version", ctypes.c_uint), ("language", ctypes.c_int),
                ("malloc_fn", _p), ("realloc_fn", _p), ("free_fn", _p),
                ("alloc_data", _p), ("event_cb", _p), ("event_data", _p),
                ("clock_fn", _p), ("clock_data", _p)]


_EVENT_CB = ctypes.CFUNCTYPE(None, _p, _p)
_A = ctypes.POINTER(_Actor)

_version_string = _fn("roster_version_string", ctypes.c_char_p)
_options_init = _fn("roster_directory_options_init", ctypes.c_int,
                    ctypes.POINTER(_Options), ctypes.c_uint)
_open = _fn("roster_directory_open", ctypes.c_int, ctypes.POINTER(_p),
            ctypes.POINTER(_Options))
_free = _fn("roster_directory_free", None, _p)
_dir_error = _fn("roster_directory_error", _p, _p)
_error_last = _fn("roster_error_last", _p)
_err_code = _fn("roster_error_code", ctypes.c_int, _p)
_err_msg = _fn("roster_error_message", ctypes.c_char_p, _p)
_err_field = _fn("roster_error_field", ctypes.c_char_p, _p)
_err_rule = _fn("roster_error_rule", ctypes.c_char_p, _p)
_err_value = _fn("roster_error_value", ctypes.c_char_p, _p)
_lang_parse = _fn("roster_language_parse", ctypes.c_int,
                  ctypes.POINTER(ctypes.c_int), ctypes.c_char_p)
_set_lang = _fn("roster_directory_set_language", ctypes.c_int, _p,
                ctypes.c_int)
_partner_create = _fn("roster_partner_create", ctypes.c_int,
                      ctypes.POINTER(_id), _p, _A, ctypes.c_char_p)
_account_create = _fn("roster_account_create", ctypes.c_int,
                      ctypes.POINTER(_id), _p, _A, _id, ctypes.c_char_p)
_pbx_create = _fn("roster_pbx_create", ctypes.c_int, ctypes.POINTER(_id),
                  _p, _A, _id, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint)
_form_new = _fn("roster_form_new", ctypes.c_int, ctypes.POINTER(_p), _p)
_form_free = _fn("roster_form_free", None, _p)
_form_str = _fn("roster_form_set_str", ctypes.c_int, _p, ctypes.c_int,
                ctypes.c_char_p)
_form_bool = _fn("roster_form_set_bool", ctypes.c_int, _p, ctypes.c_int,
                 ctypes.c_int)
_form_ref = _fn("roster_form_set_ref", ctypes.c_int, _p, ctypes.c_int, _id)
_form_lines = _fn("roster_form_set_lines", ctypes.c_int, _p,
                  ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t)
_user_create = _fn("roster_user_create", ctypes.c_int, ctypes.POINTER(_id),
                   _p, _A, _id, _p)
_user_update = _fn("roster_user_update", ctypes.c_int, _p, _A, _id, _p)
_user_delete = _fn("roster_user_delete", ctypes.c_int, _p, _A, _id)
_user_get = _fn("roster_user_get", ctypes.c_int, ctypes.POINTER(_p), _p, _id)
_user_free = _fn("roster_user_free", None, _p)
_user_str = _fn("roster_user_str", ctypes.c_char_p, _p, ctypes.c_int)
_user_bool = _fn("roster_user_bool", ctypes.c_int, _p, ctypes.c_int)
_user_ref = _fn("roster_user_ref", _id, _p, ctypes.c_int)
_user_nlines = _fn("roster_user_line_count", ctypes.c_size_t, _p)
_user_line = _fn("roster_user_line", ctypes.c_char_p, _p, ctypes.c_size_t)
_field_name = _fn("roster_field_name", ctypes.c_char_p, ctypes.c_int)
_field_type = _fn("roster_field_type", ctypes.c_int, ctypes.c_int)
_field_access = _fn("roster_user_field_access", ctypes.c_int,
                    ctypes.POINTER(ctypes.c_int), _p, _A, _id, ctypes.c_int)
_login = _fn("roster_login", ctypes.c_int, ctypes.POINTER(_id), _p,
             ctypes.c_char_p, ctypes.c_char_p)
_txn_begin = _fn("roster_transaction_begin", ctypes.c_int, _p)
_txn_commit = _fn("roster_transaction_commit", ctypes.c_int, _p)
_txn_rollback = _fn("roster_transaction_rollback", ctypes.c_int, _p)
_ev_type = _fn("roster_event_type_of", ctypes.c_int, _p)
_ev_name = _fn("roster_event_type_name", ctypes.c_char_p, ctypes.c_int)
_ev_seq = _fn("roster_event_seq", ctypes.c_uint64, _p)
_ev_partner = _fn("roster_event_partner", _id, _p)
_ev_account = _fn("roster_event_account", _id, _p)
_ev_user = _fn("roster_event_user", _id, _p)
_ev_pbx = _fn("roster_event_pbx", _id, _p)
_ev_email = _fn("roster_event_email", ctypes.c_char_p, _p)
_ev_secret = _fn("roster_event_secret", ctypes.c_char_p, _p)
_ev_password = _fn("roster_event_password", ctypes.c_char_p, _p)

FIELDS = {}
for _f in range(1, 64):
    _n = _field_name(_f)
    if _n is None:
        break
    FIELDS[_n.decode()] = (_f, _field_type(_f))
_STRING, _BOOL, _REF, _LIST = 1, 2, 3, 4


def version():
    return _version_string().decode()


class Error(Exception):
    """A refusal: code (negative int), rule, field, value, message."""

    def __init__(self, err):
        self.code = _err_code(err)
        self.rule = _err_rule(err).decode()
        self.field = _err_field(err).decode()
        self.value = _err_value(err).decode(errors="replace")
        self.message = _err_msg(err).decode()
        super().__init__(self.message)


def _actor(kind, ident=0):
    return _Actor(kind, 0, ident)


SYSTEM = _actor(1)


def partner(ident):
    return _actor(2, ident)


def user(ident):
    return _actor(3, ident)


def _text(s):
    return None if s is None else s.encode()


class Directory:
    """An in-memory roster directory. events: a list the host drains."""

    def __init__(self, language="en"):
        opts = _Options()
        lang = ctypes.c_int()
        self._check_tl(_options_init(ctypes.byref(opts), 1))
        self._check_tl(_lang_parse(ctypes.byref(lang), language.encode()))
        opts.language = lang.value
        self.events = []
        self._cb = _EVENT_CB(self._on_event)
        opts.event_cb = ctypes.cast(self._cb, _p)
        self._d = _p()
        self._check_tl(_open(ctypes.byref(self._d), ctypes.byref(opts)))

    def close(self):
        if self._d:
            _free(self._d)
            self._d = None

    def __del__(self):
        self.close()

    @staticmethod
    def _check_tl(rc):
        if rc != 0:
            raise Error(_error_last())

    def _check(self, rc):
        if rc != 0:
            raise Error(_dir_error(self._d))

    def _on_event(self, ev, _data):
        def s(v):
            return None if v is None else v.decode()
        self.events.append({
            "type": _ev_name(_ev_type(ev)).decode(), "seq": _ev_seq(ev),
            "partner": _ev_partner(ev), "account": _ev_account(ev),
            "user": _ev_user(ev),
            "pbx": _ev_pbx(ev), "email": s(_ev_email(ev)),
            "secret": s(_ev_secret(ev)), "password": s(_ev_password(ev))})

    def transaction(self):
        """A context manager: commit on success, roll back on exception."""
        d = self

        class _Txn:
            def __enter__(self):
                d._check(_txn_begin(d._d))
                return d

            def __exit__(self, kind, value, tb):
                if kind is None:
                    d._check(_txn_commit(d._d))
                else:
                    d._check(_txn_rollback(d._d))
                return False
        return _Txn()

    def set_language(self, language):
        lang = ctypes.c_int()
        self._check_tl(_lang_parse(ctypes.byref(lang), language.encode()))
        self._check(_set_lang(self._d, lang.value))

    def partner_create(self, actor, name):
        out = _id()
        self._check(_partner_create(ctypes.byref(out), self._d, actor,
                                    _text(name)))
        return out.value

    def account_create(self, actor, partner_id, name):
        out = _id()
        self._check(_account_create(ctypes.byref(out), self._d, actor,
                                    partner_id, _text(name)))
        return out.value

    def pbx_create(self, actor, account, name, min_digits, max_digits):
        out = _id()
        self._check(_pbx_create(ctypes.byref(out), self._d, actor, account,
                                _text(name), min_digits, max_digits))
        return out.value

    def _form(self, values):
        form = _p()
        self._check(_form_new(ctypes.byref(form), self._d))
        try:
            for name, value in values.items():
                if name not in FIELDS:
                    raise KeyError("unknown field: " + name)
                num, typ = FIELDS[name]
                if typ == _STRING:
                    rc = _form_str(form, num, _text(value))
                elif typ == _BOOL:
                    rc = _form_bool(form, num, 1 if value else 0)
                elif typ == _REF:
                    rc = _form_ref(form, num, value or 0)
                else:
                    arr = (ctypes.c_char_p * len(value))(
                        *[v.encode() for v in value])
                    rc = _form_lines(form, arr, len(value))
                self._check_tl(rc)
        except BaseException:
            _form_free(form)
            raise
        return form

    def user_create(self, actor, account, **values):
        form = self._form(values)
        out = _id()
        try:
            self._check(_user_create(ctypes.byref(out), self._d, actor,
                                     account, form))
        finally:
            _form_free(form)
        return out.value

    def user_update(self, actor, user_id, **values):
        form = self._form(values)
        try:
            self._check(_user_update(self._d, actor, user_id, form))
        finally:
            _form_free(form)

    def user_delete(self, actor, user_id):
        self._check(_user_delete(self._d, actor, user_id))

    def user_get(self, user_id):
        snap = _p()
        self._check(_user_get(ctypes.byref(snap), self._d, user_id))
        try:
            out = {}
            for name, (num, typ) in FIELDS.items():
                if typ == _STRING:
                    v = _user_str(snap, num)
                    out[name] = None if v is None else v.decode()
                elif typ == _BOOL:
                    out[name] = bool(_user_bool(snap, num))
                elif typ == _REF:
                    out[name] = _user_ref(snap, num)
                else:
                    out[name] = [_user_line(snap, i).decode()
                                 for i in range(_user_nlines(snap))]
            del out["password"]
            return out
        finally:
            _user_free(snap)

    def may_edit(self, actor, target, field):
        out = ctypes.c_int()
        self._check(_field_access(ctypes.byref(out), self._d, actor, target,
                                  FIELDS[field][0]))
        return bool(out.value)

    def login(self, email, password):
        out = _id()
        self._check(_login(ctypes.byref(out), self._d, _text(email),
                           _text(password)))
        return out.value
