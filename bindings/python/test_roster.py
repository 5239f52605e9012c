"""Tests of the Python bindings (run with ROSTER_LIB set)."""
import ctypes
import io
import os
import re
import tempfile
import sys
import threading
import time
import unittest

import roster


class Bindings(unittest.TestCase):
    def setUp(self):
        self.d = roster.Directory()
        self.p = self.d.partner_create(roster.SYSTEM, "Reseller")
        self.asp = roster.partner(self.p)
        self.a = self.d.account_create(self.asp, self.p, "Acme")
        self.pbx = self.d.pbx_create(self.asp, self.a, "PBX", 3, 4)
        self.admin = self.d.user_create(
            self.asp, self.a, first_name="Ada", last_name="Admin",
            email="ada@acme.example", admin=True)

    def tearDown(self):
        self.d.close()

    def test_create_and_read(self):
        site = self.d.site_create(self.asp, self.a, "Paris")
        group = self.d.group_create(self.asp, self.a, "Sales")
        u = self.d.user_create(
            roster.user(self.admin), self.a, first_name=" Marie ",
            last_name="Dvořáková", email="marie@acme.example", pbx=self.pbx,
            extension="201", lines=["+420 601 000 001"], two_factor=True,
            site=site, group=group)
        got = self.d.user_get(u)
        self.assertEqual(got["id"], u)
        self.assertEqual(got["account"], self.a)
        self.assertEqual(got["first_name"], "Marie")
        self.assertEqual(got["display_name"], "Marie Dvořáková")
        self.assertEqual(got["lines"], ["+420601000001"])
        self.assertEqual((got["site"], got["group"]), (site, group))
        self.assertTrue(got["two_factor"])
        self.assertFalse(got["registered"])
        self.assertNotIn("password", got)
        self.assertFalse(got["has_password"])
        types = [e["type"] for e in self.d.events]
        self.assertIn("email.welcome", types)
        self.assertEqual(types.count("pbx.reload"), 1)  # Marie is on the PBX
        self.assertEqual(self.d.find_login("MARIE@acme.example"), u)
        self.assertIsNone(self.d.find_login("nobody@acme.example"))

    def test_events_in_memory(self):
        self.d.events.clear()
        u = self.d.user_create(self.asp, self.a, first_name="Tom",
                               last_name="Novak", email="tom@acme.example")
        welcome = [e for e in self.d.events if e["type"] == "email.welcome"]
        self.assertEqual(len(welcome), 1, self.d.events)
        w = welcome[0]
        self.assertEqual((w["user"], w["account"], w["partner"]),
                         (u, self.a, self.p))
        self.assertEqual(w["email"], "tom@acme.example")
        self.assertTrue(w["secret"], "a live welcome carries its token")
        self.assertFalse(w["replayed"])
        self.assertEqual(w["withheld"], frozenset())
        seqs = [e["seq"] for e in self.d.events]
        self.assertEqual(seqs, sorted(seqs))
        # the secret was copied while valid: it still redeems
        self.assertEqual(self.d.token_redeem(w["secret"], "a long secret"), u)
        self.assertTrue(self.d.user_get(u)["registered"])
        self.assertEqual(self.d.login("tom@acme.example", "a long secret"), u)
        # a memory directory has no outbox
        self.assertEqual(self.d.outbox_replay(), 0)
        self.d.events.clear()
        self.d.password_reset(roster.user(self.admin), self.a, [u])
        self.assertEqual([e["type"] for e in self.d.events],
                         ["email.password_reset"])
        self.d.events.clear()
        self.d.welcome_send(self.asp, self.a)
        self.assertEqual(sorted(e["user"] for e in self.d.events),
                         sorted([self.admin, u]))

    def test_refusal_in_french(self):
        self.d.set_language("fr")
        with self.assertRaises(roster.PolicyRefusal) as cm:
            self.d.user_delete(self.asp, self.admin)
        self.assertEqual(cm.exception.code, roster.EPOLICY)
        self.assertEqual(cm.exception.name, "EPOLICY")
        self.assertEqual(cm.exception.rule, "admin.delete")
        self.assertIn("administrateur", cm.exception.message)
        with self.assertRaises(roster.AlreadyExists) as cm:
            self.d.user_create(self.asp, self.a, first_name="X",
                               last_name="Y", email="ADA@acme.example")
        self.assertEqual(cm.exception.rule, "email.unique")
        self.assertEqual(cm.exception.field, "email")
        self.assertIsInstance(cm.exception, roster.Error)
        # the same refusal in each language, whatever the directory's
        msgs = cm.exception.messages
        self.assertEqual(sorted(msgs), ["cs", "en", "fr"])
        self.assertEqual(msgs["fr"], cm.exception.message)
        self.assertIn("already", msgs["en"])
        self.assertIn("ADA@acme.example", msgs["cs"])
        self.assertEqual(len(set(msgs.values())), 3)

    def test_query_and_form_errors_in_the_directory_language(self):
        # a query's and a form's setters take no directory and record
        # their refusals in English; the binding gives them in the
        # directory's language, as the directory's own refusals
        self.d.set_language("fr")
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.search(self.asp, self.a, text="x" * 300)
        e = cm.exception
        self.assertEqual((e.rule, e.field), ("text.bytes", "query"))
        self.assertEqual(e.message, e.messages["fr"])
        self.assertIn("octets", e.message)
        self.assertIn("bytes", e.messages["en"])
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.search_count(self.asp, self.a,
                                text=" ".join("w%d" % i for i in range(17)))
        self.assertEqual(cm.exception.rule, "query.words")
        self.assertEqual(cm.exception.message, cm.exception.messages["fr"])
        with self.assertRaises(roster.ParseError) as cm:
            self.d.set_catalog(xml="<catalog")
        self.assertEqual(cm.exception.message, cm.exception.messages["fr"])
        # a language tag the directory is given, refused alike
        for call in (lambda: self.d.set_language("xx"),
                     lambda: self.d.catalog_items("licence", language="xx"),
                     lambda: self.d.user_choices(roster.SYSTEM, self.a,
                                                 language="xx")):
            with self.assertRaises(roster.InvalidArgument) as cm:
                call()
            self.assertEqual(cm.exception.rule, "arg.range")
            self.assertEqual(cm.exception.message,
                             cm.exception.messages["fr"])
            self.assertIn("hors limites", cm.exception.message)
        self.d.set_language("cs")
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.search(self.asp, self.a, text="x" * 300)
        self.assertEqual(cm.exception.message, cm.exception.messages["cs"])

    def test_error_fields(self):
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.user_create(self.asp, self.a, first_name="Eve",
                               last_name="Y", email="eve@acme.example",
                               phone="12ab")
        e = cm.exception
        self.assertEqual((e.code, e.field, e.rule),
                         (roster.EINVALID, "phone", "phone.e164"))
        self.assertEqual(e.value, "12ab")
        self.assertIn("E.164", e.message)
        self.assertIn("E.164", str(e))
        with self.assertRaises(roster.NotFound) as cm:
            self.d.user_get(987654)
        self.assertEqual(cm.exception.rule, "record.notfound")
        self.assertEqual(cm.exception.value, "987654")
        with self.assertRaises(roster.Denied) as cm:
            self.d.partner_create(self.asp, "Other")
        self.assertEqual(cm.exception.rule, "auth.system")
        # errors of calls without a directory (per thread)
        with self.assertRaises(roster.InvalidArgument) as cm:
            roster.Directory(language="xx")
        self.assertEqual(cm.exception.code, roster.EINVAL)

    def test_values_ctypes_would_mangle(self):
        # integers past their C type are refused, not wrapped onto others
        with self.assertRaises(ValueError):
            roster.partner(2**64 + self.p)
        with self.assertRaises(ValueError):
            self.d.user_get(2**64 + self.admin)
        with self.assertRaises(ValueError):
            self.d.user_delete(self.asp, -1)
        with self.assertRaises(ValueError):
            self.d.pbx_create(self.asp, self.a, "PBX 2", 2**32 + 3, 4)
        with self.assertRaises(ValueError):
            self.d.search(self.asp, self.a, limit=2**64 + 1)
        with self.assertRaises(ValueError):
            self.d.password_reset(self.asp, self.a, [2**64 + self.admin])
        # nor is a bool taken for the identifier 1 or 0
        with self.assertRaises(TypeError):
            self.d.user_get(True)
        with self.assertRaises(TypeError):
            self.d.record_get(False)
        with self.assertRaises(TypeError):
            self.d.account_create(self.asp, True, "Acme 2")
        with self.assertRaises(TypeError):
            self.d.password_reset(self.asp, self.a, [True])
        with self.assertRaises(TypeError):
            self.d.password_reset(self.asp, self.a, ["1"])
        # strings with a NUL are refused, not cut short
        with self.assertRaises(ValueError):
            self.d.user_create(self.asp, self.a, first_name="Marie\0X",
                               last_name="N", email="m@acme.example")
        with self.assertRaises(ValueError):
            self.d.login("ada@acme.example\0zzz", "whatever pw")
        with self.assertRaises(ValueError):
            self.d.user_update(self.asp, self.admin,
                               lines=["+420123456\x00789"])
        with self.assertRaises(ValueError):
            self.d.set_language("fr\0garbage")
        with self.assertRaises(ValueError):
            roster.FileStore(os.path.join(tempfile.gettempdir(), "a\0b"))
        self.assertEqual(self.d.user_get(self.admin)["email"],
                         "ada@acme.example")

    def test_self_service_and_login(self):
        u = self.d.user_create(roster.user(self.admin), self.a,
                               first_name="Tom", last_name="Novak",
                               email="tom@acme.example",
                               password="a long secret")
        me = roster.user(u)
        self.assertTrue(self.d.may_edit(me, u, "language"))
        self.assertFalse(self.d.may_edit(me, u, "admin"))
        # the reason, for the greyed-out field's tooltip: not raised
        self.assertEqual(self.d.field_access(me, u, "language"),
                         (True, None))
        allowed, why = self.d.field_access(me, u, "admin")
        self.assertFalse(allowed)
        self.assertIsInstance(why, roster.Denied)
        self.assertEqual((why.rule, why.field), ("auth.field", "admin"))
        self.assertIn("admin de compte", why.messages["fr"])
        self.d.set_language("fr")
        allowed, why = self.d.field_access(roster.user(self.admin), u,
                                           "registered")
        self.assertFalse(allowed)
        self.assertEqual(why.rule, "auth.readonly")
        self.assertEqual(why.message, why.messages["fr"])
        self.d.set_language("en")
        with self.assertRaises(roster.Error) as cm:
            self.d.user_update(me, u, admin=True)
        self.assertEqual(cm.exception.rule, "auth.field")
        self.assertEqual(cm.exception.field, "admin")
        self.d.user_update(me, u, language="cs-CZ")
        self.assertEqual(self.d.user_get(u)["language"], "cs-CZ")
        self.assertTrue(self.d.user_get(u)["has_password"])
        self.assertEqual(self.d.login("TOM@acme.example", "a long secret"), u)
        with self.assertRaises(roster.AuthError) as cm:
            self.d.login("tom@acme.example", "wrong")
        self.assertEqual(cm.exception.code, -18)
        self.assertEqual(cm.exception.rule, "login.failed")

    def test_transaction(self):
        self.d.events.clear()
        with self.assertRaises(roster.Error):
            with self.d.transaction():
                self.d.user_create(self.asp, self.a, first_name="A",
                                   last_name="B", email="ab@acme.example")
                self.d.user_delete(self.asp, self.admin)  # refused
        self.assertFalse(self.d.in_transaction)
        self.assertEqual(self.d.events, [])
        self.assertIsNone(self.d.find_login("ab@acme.example"))
        with self.d.transaction():
            self.d.user_create(self.asp, self.a, first_name="A",
                               last_name="B", email="ab@acme.example")
            self.assertTrue(self.d.in_transaction)
            self.assertEqual(self.d.events, [], "events wait for commit")
        self.assertIn("user.created", [e["type"] for e in self.d.events])
        self.d.begin()
        with self.assertRaises(roster.Misuse) as cm:
            self.d.begin()
        self.assertEqual(cm.exception.rule, "txn.open")
        self.d.rollback()
        with self.assertRaises(roster.Misuse) as cm:
            self.d.commit()
        self.assertEqual(cm.exception.rule, "txn.none")

    def test_bad_input(self):
        with self.assertRaises(roster.Error) as cm:
            self.d.user_create(self.asp, self.a, first_name="\x07",
                               last_name="Y", email="y@acme.example")
        self.assertEqual(cm.exception.rule, "text.control")
        with self.assertRaises(KeyError):
            self.d.user_create(self.asp, self.a, nope="x")
        # a flag takes a bool (or 0 or 1): the string "false" is no
        # False, and True is no record id
        for field, value in (("admin", "false"), ("admin", "0"),
                             ("two_factor", 2), ("admin", None),
                             ("site", True), ("group", False)):
            with self.assertRaises(TypeError, msg=(field, value)):
                self.d.user_create(self.asp, self.a, first_name="F",
                                   last_name="G", email="fg@acme.example",
                                   **{field: value})
        self.assertIsNone(self.d.find_login("fg@acme.example"))
        # a string field takes a string, and says so
        with self.assertRaises(TypeError) as cm:
            self.d.user_create(self.asp, self.a, first_name="F",
                               last_name="G", email="fg@acme.example",
                               extension=201)
        self.assertIn("extension takes a string", str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            self.d.find_login(42)
        self.assertIn("a string is needed", str(cm.exception))
        # lines take a list: a string is not read as its characters
        with self.assertRaises(TypeError):
            self.d.user_create(self.asp, self.a, first_name="F",
                               last_name="G", email="fg@acme.example",
                               lines="+420601000001")
        u = self.d.user_create(self.asp, self.a, first_name="F",
                               last_name="G", email="fg@acme.example",
                               two_factor=1, api_communicator=0)
        got = self.d.user_get(u)
        self.assertEqual((got["two_factor"], got["api_communicator"]),
                         (True, False))

    def test_unknown_names_and_ids_of_the_wrong_type(self):
        # a name the binding looks up says what it is and what there is
        for call, words in (
                (lambda: self.d.export_users(self.asp, self.a, "json"),
                 ("format", "'json'", "csv, xml")),
                (lambda: self.d.import_users(self.asp, self.a, b"",
                                             format="XML"),
                 ("format", "'XML'", "csv, xml")),
                (lambda: self.d.import_users(self.asp, self.a, b"",
                                             mode="best-effort"),
                 ("mode", "best_effort")),
                (lambda: self.d.list_records(self.a, "users"),
                 ("kind", "'users'", "user")),
                (lambda: self.d.catalog_items("licences"),
                 ("kind of item", "licence")),
                (lambda: self.d.search(self.asp, self.a, filters=["admin"]),
                 ("filter", "'admin'", "admins")),
                (lambda: self.d.may_edit(self.asp, self.a, "mail"),
                 ("field", "'mail'", "email")),
                (lambda: roster.field_label("mail"), ("field", "email"))):
            with self.assertRaises(KeyError) as cm:
                call()
            for w in words:
                self.assertIn(w, str(cm.exception))
        # a group or a site is given by its id, not by its name: said as
        # such, not as ctypes' "argument 3: TypeError: wrong type"
        self.d.group_create(self.asp, self.a, "Sales")
        for kw in ({"group": "Sales"}, {"site": "Paris"}, {"site": 1.0}):
            with self.assertRaises(TypeError) as cm:
                self.d.search(self.asp, self.a, **kw)
            self.assertIn("takes an id", str(cm.exception))
            with self.assertRaises(TypeError) as cm:
                self.d.search_count(self.asp, self.a, **kw)
            self.assertIn("takes an id", str(cm.exception))
            with self.assertRaises(TypeError) as cm:
                self.d.user_create(self.asp, self.a, first_name="F",
                                   last_name="G", email="fg@acme.example",
                                   **kw)
            self.assertIn("takes an id", str(cm.exception))
        self.assertIsNone(self.d.find_login("fg@acme.example"))
        self.assertEqual(self.d.search_count(self.asp, self.a, group=None,
                                             site=0), 1)

    def test_callback(self):
        seen = []
        self.d.events.clear()
        self.d.on_event = seen.append
        u = self.d.user_create(self.asp, self.a, first_name="C",
                               last_name="B", email="cb@acme.example")
        self.assertIn(("user.created", u),
                      [(e["type"], e["user"]) for e in seen])
        self.assertEqual(self.d.events, [], "the callback took the events")

        def boom(e):
            raise RuntimeError("host failed on " + e["type"])
        self.d.on_event = boom
        with self.assertRaises(RuntimeError) as cm:
            self.d.user_update(self.asp, u, note="x")
        self.assertIn("user.updated", str(cm.exception))
        # the change was committed all the same
        self.assertEqual(self.d.user_get(u)["note"], "x")

        def reenter(e):
            self.d.user_get(u)
        self.d.on_event = reenter
        with self.assertRaises(roster.Misuse) as cm:
            self.d.user_update(self.asp, u, note="y")
        self.assertEqual(cm.exception.rule, "reentrant")

        # a refused call from the callback does not take the outer
        # call's exception, raised by an earlier event, away from it
        seen = []

        def first_fails(e):
            seen.append(e["type"])
            if len(seen) == 1:
                raise RuntimeError("the first event failed")
            try:
                self.d.user_get(u)
            except roster.Misuse:
                pass
        self.d.on_event = None
        u2 = self.d.user_create(self.asp, self.a, first_name="D",
                                last_name="B", email="db@acme.example")
        self.d.on_event = first_fails
        with self.assertRaises(RuntimeError) as cm:
            self.d.password_reset(self.asp, self.a, [u, u2])
        self.assertIn("the first event failed", str(cm.exception))
        self.assertGreater(len(seen), 1, "later events still delivered")

        def close_it(e):
            self.d.close()
        self.d.on_event = close_it
        with self.assertRaises(roster.Misuse):
            self.d.user_update(self.asp, u, note="z")
        self.assertFalse(self.d.closed)
        self.assertEqual(self.d.user_get(u)["note"], "z")

    def test_threads_share_a_directory(self):
        # ctypes lets go of the GIL during a call: two threads on one
        # directory must take turns, not enter the library together
        errors = []

        def work(k):
            try:
                for i in range(200):
                    u = self.d.user_create(
                        self.asp, self.a, first_name="T%d" % i,
                        last_name="Thread%d" % k,
                        email="t%d.%d@acme.example" % (k, i))
                    self.d.user_update(self.asp, u, note="n")
                    self.d.search(self.asp, self.a, "thread")
            except Exception as exc:  # reported below
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(k,))
                   for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.d.search_count(self.asp, self.a, "thread"),
                         400)

    def test_threads_share_a_store(self):
        # directories opened and closed on one store from many threads:
        # the store's count of its directories stays exact, so that it
        # closes once they are all closed, and not before. The count is
        # read and written back by separate bytecodes, between which the
        # interpreter rarely switches threads: a tracer gives the GIL
        # away after every bytecode of the store's bookkeeping, so that
        # another thread runs in between, as it could at any time.
        store = roster.MemStore()
        errors = []
        switched = [0]
        bookkeeping = {roster._Store._acquire.__code__,
                       roster._Store._release.__code__}

        def each_opcode(frame, event, arg):
            if event == "opcode":
                switched[0] += 1
                time.sleep(0)
            return each_opcode

        def tracer(frame, event, arg):
            if frame.f_code not in bookkeeping:
                return None
            frame.f_trace_opcodes = True
            return each_opcode

        def work():
            try:
                for _ in range(100):
                    roster.Directory(store=store).close()
            except Exception as exc:  # reported below
                errors.append(exc)
        threading.settrace(tracer)
        try:
            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            threading.settrace(None)
        self.assertEqual(errors, [])
        self.assertGreater(switched[0], 0)
        self.assertEqual(store._users, 0)
        store.close()

    def test_closed_directory(self):
        d = roster.Directory()
        d.close()
        d.close()  # twice is harmless
        self.assertTrue(d.closed)
        with self.assertRaises(roster.Misuse) as cm:
            d.partner_create(roster.SYSTEM, "X")
        self.assertIn("closed", cm.exception.message)
        self.assertEqual(cm.exception.messages, {})  # the binding's own
        with self.assertRaises(roster.Misuse):
            d.outbox_replay()
        self.assertFalse(d.in_transaction)


class Portal(unittest.TestCase):
    """Search, import and export, product licences: an account's user
    list as a portal shows it."""

    def setUp(self):
        self.d = roster.Directory()
        self.p = self.d.partner_create(roster.SYSTEM, "Reseller")
        self.asp = roster.partner(self.p)
        self.a = self.d.account_create(self.asp, self.p, "Acme")
        self.names = {}
        for first, last in (("Marie", "Dvořáková"), ("Marie-Hélène", "Durand"),
                            ("Zakaria", "Benali"), ("Tom", "Novák")):
            login = first.split("-")[0].lower() + "@acme.example"
            if first == "Marie-Hélène":
                login = "mh@acme.example"
            self.names[last] = self.d.user_create(
                self.asp, self.a, first_name=first, last_name=last,
                email=login, admin=(last == "Novák"))

    def tearDown(self):
        self.d.close()

    def found(self, text, **kw):
        ids, cursor = self.d.search(self.asp, self.a, text, **kw)
        self.assertIsNone(cursor)
        return ids

    def test_search_as_you_type(self):
        n = self.names
        self.assertEqual(self.found("dvor"), [n["Dvořáková"]])
        self.assertEqual(self.found("hel"), [n["Durand"]])
        self.assertEqual(self.found("ZÁK"), [n["Benali"]])
        self.assertEqual(self.found("ma dv"), [n["Dvořáková"]])
        self.assertEqual(self.found("nobody"), [])
        # the documented order: last name, then first name, then id
        everyone = [n["Benali"], n["Durand"], n["Dvořáková"], n["Novák"]]
        self.assertEqual(self.found(""), everyone)
        self.assertEqual(self.found(None), everyone)
        self.assertEqual(self.d.search_count(self.asp, self.a, "ma"), 2)
        self.assertEqual(self.d.search_count(self.asp, 0, ""), 4)

    def test_pages_and_cursor(self):
        first, cursor = self.d.search(self.asp, self.a, limit=3)
        self.assertEqual(len(first), 3)
        self.assertIsInstance(cursor, str)
        # a user added before the cursor's place is not shown twice, one
        # added after it is shown
        self.d.user_create(self.asp, self.a, first_name="Zoé",
                           last_name="Zeman", email="zoe@acme.example")
        self.d.user_create(self.asp, self.a, first_name="Anna",
                           last_name="Adamová", email="anna@acme.example")
        rest, end = self.d.search(self.asp, self.a, cursor=cursor, limit=3)
        self.assertIsNone(end)
        self.assertEqual(len(rest), 2)
        self.assertFalse(set(first) & set(rest))
        everyone = list(self.d.search_all(self.asp, self.a, page_size=2))
        self.assertEqual(len(everyone), 6)
        self.assertEqual(everyone, self.found(""))
        with self.assertRaises(roster.InvalidArgument):
            self.d.search(self.asp, self.a, cursor="not a cursor")

    def test_filters(self):
        n = self.names
        site = self.d.site_create(self.asp, self.a, "Brno")
        self.d.user_update(self.asp, n["Durand"], site=site)
        self.d.user_update(roster.SYSTEM, n["Benali"], cloud=True)
        self.assertEqual(self.found("", filters=["admins"]), [n["Novák"]])
        self.assertEqual(self.found("", filters="admins"), [n["Novák"]])
        self.assertEqual(self.found("", filters=["cloud"]), [n["Benali"]])
        self.assertEqual(self.found("", filters=["cloud", "admins"]), [])
        self.assertEqual(self.found("", site=site), [n["Durand"]])
        self.assertEqual(self.found("ma", site=site), [n["Durand"]])
        self.assertEqual(self.d.search_count(self.asp, self.a, "",
                                             filters=["unregistered"]), 4)
        with self.assertRaises(KeyError):
            self.found("", filters=["vip"])
        with self.assertRaises(roster.Denied):
            self.d.search(roster.user(n["Benali"]), self.a, "ma")

    def test_import_export_round_trip(self):
        csv = ("first_name,last_name,email,note,admin\r\n"
               "Émile,Zola,emile@acme.example,,0\r\n"
               "\"Anne, Marie\",\"O\"\"Neil\",anne@acme.example,"
               "\"two\nlines\",true\r\n")
        rep = self.d.import_users(self.asp, self.a, csv)
        self.assertEqual((rep.rows, rep.created, rep.errors), (2, 2, []))
        emile, = self.found("zol")
        anne, = self.found("o'n")
        self.assertEqual(self.d.user_get(anne)["last_name"], "O\"Neil")
        self.assertEqual(self.d.user_get(anne)["note"], "two\nlines")
        self.assertTrue(self.d.user_get(anne)["admin"])
        for fmt in ("csv", "xml"):
            data = self.d.export_users(self.asp, self.a, format=fmt)
            self.assertIsInstance(data, bytes)
            b = self.d.account_create(self.asp, self.p, "Copy " + fmt)
            # the logins are taken: the copy uses other ones
            data = data.replace(b"@acme.example",
                                b"@" + fmt.encode() + b".example")
            rep = self.d.import_users(self.asp, b, data, format=fmt)
            self.assertEqual(rep.created, 6)
            mine = [self.d.user_get(u) for u in self.found("")]
            copy = [self.d.user_get(u)
                    for u in self.d.search_all(self.asp, b)]
            for u in mine + copy:
                del u["id"], u["account"], u["version"]
                u["email"] = u["email"].split("@")[0]
            self.assertEqual(copy, mine)
        out = io.BytesIO()
        self.assertIsNone(self.d.export_users(self.asp, self.a, file=out))
        self.assertEqual(out.getvalue(),
                         self.d.export_users(self.asp, self.a))

    def test_report_freed_when_reading_it_fails(self):
        # an exception while the report is copied out (an interrupt in a
        # long report, memory): the C report is freed all the same
        class Interrupted(Exception):
            pass
        freed = []
        real_free, real_rule = roster._report_free, roster._report_rule

        def rule(rep, i):
            raise Interrupted()

        def free(rep):
            freed.append(rep)
            real_free(rep)
        roster._report_free, roster._report_rule = free, rule
        try:
            with self.assertRaises(Interrupted):
                self.d.import_users(self.asp, self.a,
                                    "first_name,last_name,email\n"
                                    "Bad,Row,not-an-address\n")
        finally:
            roster._report_free, roster._report_rule = real_free, real_rule
        self.assertEqual(len(freed), 1)
        # nor does an exception of on_event wait for the next call
        self.d.on_event = lambda e: 1 / 0
        roster._report_rule = rule
        try:
            with self.assertRaises(Interrupted):
                self.d.import_users(self.asp, self.a,
                                    "first_name,last_name,email\n"
                                    "Good,Row,good@acme.example\n"
                                    "Bad,Row,not-an-address\n",
                                    mode="best_effort")
        finally:
            roster._report_rule = real_rule
        self.d.on_event = None
        self.assertEqual(self.d.search_count(self.asp, self.a, "good"), 1)

    def test_bool_is_no_id_and_none_no_filter(self):
        # True is an int to Python, and would name record 1: a wrong
        # type, as a bool given as any id
        with self.assertRaises(TypeError):
            self.d.password_reset(self.asp, self.a, [True])
        with self.assertRaises(TypeError):
            roster.user(True)
        # filters=None: no filter, as the default ()
        self.assertEqual(self.d.search_count(self.asp, self.a, filters=None),
                         self.d.search_count(self.asp, self.a))

    def test_import_stopped_at_max_errors(self):
        csv = ("first_name,last_name,email\n"
               "A,B,bad1\nC,D,bad2\nE,F,stop@acme.example\n")
        rep = self.d.import_users(self.asp, self.a, csv, mode="best_effort",
                                  max_errors=2)
        self.assertTrue(rep.stopped)
        self.assertEqual([e["value"] for e in rep.errors], ["bad1", "bad2"])
        self.assertEqual((rep.rows, rep.created), (2, 0))
        rep = self.d.import_users(self.asp, self.a, csv, mode="best_effort",
                                  max_errors=3)
        self.assertFalse(rep.stopped)
        self.assertEqual(rep.created, 1)

    def test_form_numbers_country(self):
        u = self.d.user_create(self.asp, self.a, first_name="Jan",
                               last_name="Novotny", email="jn@acme.example",
                               phone="601 234 567", lines=["212 345 678"],
                               numbers_country="CZ")
        got = self.d.user_get(u)
        self.assertEqual(got["phone"], "+420601234567")
        self.assertEqual(got["lines"], ["+420212345678"])
        with self.assertRaises(roster.InvalidArgument) as cm:
            self.d.user_create(self.asp, self.a, first_name="X",
                               last_name="Y", email="xy@acme.example",
                               phone="601 234 568", numbers_country="XX")
        self.assertEqual(cm.exception.field, "country")
        with self.assertRaises(roster.InvalidValue):
            self.d.user_update(self.asp, u, phone="601 234 568")

    def test_expect_version(self):
        u = self.d.user_create(self.asp, self.a, first_name="Vera",
                               last_name="Version", email="vv@acme.example")
        shown = self.d.user_get(u)
        self.assertIsInstance(shown["version"], int)
        self.assertNotEqual(shown["version"], 0)
        # someone else saves first: the form shown before is refused
        self.d.user_update(self.asp, u, note="first")
        with self.assertRaises(roster.Conflict) as cm:
            self.d.user_update(self.asp, u, note="second",
                               expect_version=shown["version"])
        self.assertEqual(cm.exception.rule, "user.changed")
        self.assertEqual(cm.exception.field, "version")
        self.assertEqual(self.d.user_get(u)["note"], "first")
        # made again from the user as it is, it goes through
        now = self.d.user_get(u)["version"]
        self.d.user_update(self.asp, u, note="second", expect_version=now)
        self.assertEqual(self.d.user_get(u)["note"], "second")
        self.d.user_update(self.asp, u, note="third", expect_version=None)
        for bad in ("1", 1.5, True):
            with self.assertRaises(TypeError):
                self.d.user_update(self.asp, u, note="x", expect_version=bad)
        with self.assertRaises(ValueError):
            self.d.user_update(self.asp, u, note="x", expect_version=-1)

    def test_import_national_numbers(self):
        csv = ("first_name,last_name,email,phone,lines\n"
               "Nat,Ional,nat@acme.example,01 44 55 66 77,0601020304\n")
        with self.assertRaises(roster.InvalidValue):
            self.d.import_users(self.asp, self.a, csv)  # no country
        rep = self.d.import_users(self.asp, self.a, csv, country="FR")
        self.assertEqual(rep.created, 1)
        nat = self.d.find_login("nat@acme.example")
        got = self.d.user_get(nat)
        self.assertEqual(got["phone"], "+33144556677")
        self.assertEqual(got["lines"], ["+33601020304"])
        with self.assertRaises(roster.InvalidArgument) as cm:
            self.d.import_users(self.asp, self.a, csv, country="XX")
        self.assertEqual(cm.exception.field, "country")
        with self.assertRaises(ValueError):
            self.d.import_users(self.asp, self.a, csv, country="FRA")

    def test_import_from_a_source_that_would_block(self):
        # a raw non-blocking file returns None when it has nothing yet:
        # the import says so, and imports nothing
        class Later(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, b):
                return None
        before = self.d.search_count(self.asp, self.a)
        with self.assertRaises(BlockingIOError) as cm:
            self.d.import_users(self.asp, self.a, Later())
        self.assertIn("would block", str(cm.exception))
        self.assertEqual(self.d.search_count(self.asp, self.a), before)

    def test_export_to_a_raw_file(self):
        # a raw file's write() may take part of what it is given and
        # return how much: the rest is written after it, not dropped
        class Short(io.RawIOBase):
            def __init__(self):
                self.got = bytearray()

            def writable(self):
                return True

            def write(self, b):
                part = bytes(b)[:7]
                self.got += part
                return len(part)
        for fmt in ("csv", "xml"):
            raw = Short()
            self.assertIsNone(self.d.export_users(self.asp, self.a,
                                                  format=fmt, file=raw))
            self.assertEqual(bytes(raw.got),
                             self.d.export_users(self.asp, self.a,
                                                 format=fmt))

        # a raw file that would block (None) or takes nothing raises
        class Stuck(io.RawIOBase):
            def __init__(self, answer):
                self.answer = answer

            def writable(self):
                return True

            def write(self, b):
                return self.answer
        with self.assertRaises(BlockingIOError):
            self.d.export_users(self.asp, self.a, file=Stuck(None))
        with self.assertRaises(OSError):
            self.d.export_users(self.asp, self.a, file=Stuck(0))

        # a file-like object of the host's whose write() returns nothing
        class Parts:
            def __init__(self):
                self.parts = []

            def write(self, b):
                self.parts.append(b)
        parts = Parts()
        self.d.export_users(self.asp, self.a, file=parts)
        self.assertTrue(all(isinstance(b, bytes) for b in parts.parts))
        self.assertEqual(b"".join(parts.parts),
                         self.d.export_users(self.asp, self.a))

    def test_import_refusals(self):
        before = self.d.search_count(self.asp, self.a)
        csv = ("first_name,last_name,email\n"
               "Ok,Row,ok@acme.example\n"
               "Bad,Row,not-an-address\n"
               "Dup,Row,OK@acme.example\n")
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.import_users(self.asp, self.a, csv)
        rep = cm.exception.report
        self.assertEqual((rep.rows, rep.created), (3, 0))
        self.assertEqual([(e["line"], e["column"], e["rule"])
                          for e in rep.errors],
                         [(3, "email", "email.syntax"),
                          (4, "email", "email.unique")])
        self.assertEqual(rep.errors[0]["name"], "EINVALID")
        self.assertTrue(rep.errors[0]["message"])
        self.assertEqual(rep.errors[0]["messages"]["en"],
                         rep.errors[0]["message"])
        self.assertIn("adresse e-mail", rep.errors[0]["messages"]["fr"])
        self.assertEqual(self.d.search_count(self.asp, self.a), before)
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.import_users(self.asp, self.a, csv, dry_run=True)
        self.assertEqual(len(cm.exception.report.errors), 2)
        self.assertEqual(self.d.search_count(self.asp, self.a), before)
        self.d.events.clear()
        rep = self.d.import_users(self.asp, self.a,
                                  "first_name,last_name,email\n"
                                  "Good,Dry,dry@acme.example\n",
                                  dry_run=True)
        self.assertEqual((rep.rows, rep.created, rep.errors), (1, 0, []))
        self.assertEqual(self.d.search_count(self.asp, self.a), before)
        self.assertEqual(self.d.events, [])
        rep = self.d.import_users(self.asp, self.a, csv, mode="best_effort")
        self.assertEqual((rep.created, len(rep.errors)), (1, 2))
        self.assertEqual(self.d.search_count(self.asp, self.a), before + 1)
        # a malformed file
        with self.assertRaises(roster.ParseError) as cm:
            self.d.import_users(self.asp, self.a,
                                'first_name,email\n"open,x@y.example\n')
        self.assertEqual(cm.exception.report.created, 0)
        # a reader that fails: its exception, nothing imported

        class Broken:
            def read(self, n):
                raise OSError("disk gone")
        with self.assertRaises(OSError):
            self.d.import_users(self.asp, self.a, Broken())
        # a bytearray is read as bytes

        class Bytearrays:
            def __init__(self, data):
                self.f = io.BytesIO(data.encode())

            def read(self, n):
                return bytearray(self.f.read(n))
        rep = self.d.import_users(
            self.asp, self.a,
            Bytearrays("first_name,last_name,email\nBy,Tes,by@acme.example\n"),
            dry_run=True)
        self.assertEqual((rep.rows, rep.errors), (1, []))

        # the directory cannot be closed from a read or write callback
        d = self.d

        class Closer:
            def read(self, n):
                d.close()
                return b""
        with self.assertRaises(roster.Misuse):
            d.import_users(self.asp, self.a, Closer())
        self.assertFalse(d.closed)

        class WriteCloser:
            def write(self, b):
                d.close()
        with self.assertRaises(roster.Misuse):
            d.export_users(self.asp, self.a, file=WriteCloser())
        self.assertFalse(d.closed)
        # a text-mode source is refused, not read as wide characters
        with self.assertRaises(TypeError):
            self.d.import_users(self.asp, self.a, io.StringIO(csv))
        with self.assertRaises(ValueError):
            self.d.import_users(self.asp, self.a, csv, max_errors=-1)
        self.assertEqual(self.d.search_count(self.asp, self.a), before + 1)
        with self.assertRaises(ValueError):
            self.d.import_users(self.asp, self.a)

    def test_import_from_path(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "users.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<users xmlns="urn:roster:users:1">\n'
                        '<user><first_name>Jiří</first_name>'
                        '<last_name>Šťastný</last_name>'
                        '<email>jiri@acme.example</email></user>\n'
                        '</users>\n')
            rep = self.d.import_users(self.asp, self.a, path=path,
                                      format="xml")
        self.assertEqual(rep.created, 1)
        self.assertEqual(len(self.found("stast")), 1)

    def test_products(self):
        n = self.names
        admin = roster.user(n["Novák"])
        two = [n["Benali"], n["Durand"]]
        self.d.product_purchase(self.asp, self.a, "meetings", 2)
        self.assertEqual(self.d.product_assign(admin, "meetings", two), 2)
        self.assertEqual(self.d.product_counts(admin, self.a, "meetings"),
                         (2, 2))
        self.assertEqual(self.d.user_get(n["Benali"])["products"],
                         ["meetings"])
        self.assertEqual(self.found("", product="meetings"), two)
        # a third does not fit: refused as a whole, nothing changes
        with self.assertRaises(roster.PolicyRefusal) as cm:
            self.d.product_assign(admin, "meetings",
                                  [n["Novák"], n["Dvořáková"]])
        self.assertEqual(cm.exception.rule, "product.none_available")
        self.assertEqual(self.d.user_get(n["Novák"])["products"], [])
        self.assertEqual(self.d.product_unassign(admin, "meetings",
                                                 [n["Benali"]]), 1)
        self.assertEqual(self.d.product_counts(admin, self.a, "meetings"),
                         (2, 1))
        # the event callback raising after the assignment committed: its
        # exception carries the count the call would have returned
        self.d.on_event = lambda e: 1 / 0
        with self.assertRaises(ZeroDivisionError) as cm:
            self.d.product_assign(admin, "meetings", [n["Novák"]])
        self.d.on_event = None
        self.assertEqual(cm.exception.count, 1)
        self.assertEqual(self.d.product_counts(admin, self.a, "meetings"),
                         (2, 2))
        self.d.product_unassign(admin, "meetings", [n["Novák"]])
        with self.assertRaises(ValueError):
            self.d.product_purchase(self.asp, self.a, "meetings", -1)
        with self.assertRaises(ValueError):
            self.d.product_release(self.asp, self.a, "meetings", 2**32)
        self.d.product_release(self.asp, self.a, "meetings", 1)
        self.assertEqual(self.d.product_counts(admin, self.a, "meetings"),
                         (1, 1))


class Administration(unittest.TestCase):
    """Records and listings, account licences and services, stations,
    choices, billing, previews: the rest of a portal's everyday calls."""

    def setUp(self):
        self.d = roster.Directory()
        self.p = self.d.partner_create(roster.SYSTEM, "Reseller")
        self.asp = roster.partner(self.p)
        self.a = self.d.account_create(self.asp, self.p, "Acme")
        self.site = self.d.site_create(self.asp, self.a, "Brno")
        self.admin = self.d.user_create(
            self.asp, self.a, first_name="Ada", last_name="Admin",
            email="ada@acme.example", admin=True)

    def tearDown(self):
        self.d.close()

    def test_records_and_listings(self):
        d, asp, a = self.d, self.asp, self.a
        pbx = d.pbx_create(asp, a, "PBX", 3, 4)
        group = d.group_create(asp, a, "Sales")
        self.assertEqual(d.record_get(a),
                         {"id": a, "kind": "account", "parent": self.p,
                          "name": "Acme", "members": 1, "admins": 1,
                          "helpdesk": False, "edition": None,
                          "licences": []})
        got = d.record_get(pbx)
        self.assertEqual((got["kind"], got["parent"], got["min_digits"],
                          got["max_digits"]), ("pbx", a, 3, 4))
        d.record_rename(asp, group, "Ventes été")
        self.assertEqual(d.record_get(group)["name"], "Ventes été")
        self.assertEqual(d.record_find(a, "group", "  VENTES été"), group)
        self.assertEqual(d.record_find(0, "partner",
                                       d.record_get(self.p)["name"]), self.p)
        with self.assertRaises(roster.NotFound) as cm:
            d.record_find(a, "group", "Ventes ete")
        self.assertEqual(cm.exception.rule, "record.named")
        with self.assertRaises(roster.InvalidArgument):
            d.record_find(a, "user", "x")
        self.assertEqual(d.record_get(self.p)["kind"], "partner")
        others = [d.account_create(asp, self.p, "Acme %d" % i)
                  for i in range(4)]
        ids, cursor, total = d.list_records(self.p, "account", limit=3)
        self.assertEqual((ids, total), ([a] + others[:2], 5))
        ids, cursor, total = d.list_records(self.p, "account", cursor)
        self.assertEqual((ids, cursor), (others[2:], None))
        self.assertEqual(d.list_records(0, "partner")[0], [self.p])
        self.assertEqual(d.list_records(a, "user")[0], [self.admin])
        self.assertEqual(d.list_records(a, "site")[0], [self.site])
        # in use: refused, nothing changes; free: deleted
        u = d.user_create(asp, a, first_name="S", last_name="T",
                          email="st@acme.example", site=self.site)
        with self.assertRaises(roster.PolicyRefusal) as cm:
            d.record_delete(asp, self.site)
        self.assertEqual(cm.exception.rule, "record.in_use")
        d.user_delete(asp, u)
        d.record_delete(asp, self.site)
        with self.assertRaises(roster.NotFound):
            d.record_get(self.site)
        with self.assertRaises(KeyError):
            d.list_records(a, "users")
        with self.assertRaises(roster.InvalidArgument):
            d.list_records(a, "site", limit=0)
        with self.assertRaises(ValueError):
            d.record_rename(asp, group, "a\0b")

    def test_licences_stations_and_choices(self):
        d, asp, a = self.d, self.asp, self.a
        d.account_set_licences(asp, a, "profi", ["video", "helpdesk-profi"])
        got = d.record_get(a)
        self.assertEqual((got["edition"], got["licences"]),
                         ("profi", ["helpdesk-profi", "video"]))
        with self.assertRaises(roster.InvalidValue) as cm:
            d.account_set_licences(asp, a, "profi", ["no-such"])
        self.assertEqual(cm.exception.rule, "licence.unknown")
        with self.assertRaises(TypeError):
            d.account_set_licences(asp, a, "profi", "video")
        # choices of a new user: helpdesk-profi needs the service
        choices = {c["item"]: c for c in d.user_choices(asp, a)}
        self.assertTrue(choices["video"]["allowed"])
        hd = choices["helpdesk-profi"]
        self.assertFalse(hd["allowed"])
        self.assertEqual(hd["kind"], "licence")
        self.assertIn("licence.service", [r["rule"] for r in hd["reasons"]])
        self.assertTrue(all(r["message"] for r in hd["reasons"]))
        self.assertEqual(choices["premium"]["kind"], "pack")
        d.account_set_helpdesk(asp, a, True)
        self.assertTrue(d.record_get(a)["helpdesk"])
        # stations: a pack needs a station of the user's site
        d.station_order(asp, self.site, "standard", 2)
        self.assertEqual(d.station_counts(asp, self.site, "standard"),
                         (2, 0))
        u = d.user_create(asp, a, first_name="Vi", last_name="Deo",
                          email="vi@acme.example", licence="video",
                          site=self.site, pack="standard")
        self.assertEqual(d.station_counts(asp, self.site, "standard"),
                         (2, 1))
        mine = {c["item"]: c for c in d.user_choices(asp, user=u)}
        self.assertTrue(mine["video"]["current"])
        self.assertTrue(mine["standard"]["current"])
        french = {c["item"]: c for c in d.user_choices(asp, user=u,
                                                        language="fr")}
        self.assertNotEqual(french["basic"]["reasons"][0]["message"],
                            mine["basic"]["reasons"][0]["message"])
        d.station_order(asp, self.site, "basic", 1)
        with self.assertRaises(roster.ConfirmationRequired) as cm:
            d.user_update(asp, u, pack="basic")
        self.assertEqual(cm.exception.rule, "pack.downgrade")
        d.user_update(asp, u, pack="basic", confirm_downgrade=True)
        self.assertEqual(d.user_get(u)["pack"], "basic")
        with self.assertRaises(TypeError):
            d.user_update(asp, u, pack="standard", confirm_downgrade="yes")
        d.station_disconnect(asp, self.site, "standard", 2)
        self.assertEqual(d.station_counts(asp, self.site, "standard"),
                         (0, 0))
        with self.assertRaises(roster.PolicyRefusal) as cm:
            d.station_disconnect(asp, self.site, "basic", 1)
        self.assertEqual(cm.exception.rule, "station.in_service")
        with self.assertRaises(ValueError):
            d.station_order(asp, self.site, "basic", -1)
        # the bill counts her licence and pack
        bill = d.billing_summary(asp, a)
        self.assertEqual((bill["users"], bill["excluded"]), (2, 0))
        lines = {(x["kind"], x["item"]): x["quantity"]
                 for x in bill["lines"]}
        self.assertEqual(lines[("licence", "video")], 1)
        self.assertEqual(lines[("pack", "basic")], 1)
        self.assertEqual(lines[("option", "api_communicator")], 0)
        with self.assertRaises(roster.Denied):
            d.billing_summary(roster.user(u), a)

    def test_preview_and_generated_password(self):
        d, asp, a = self.d, self.asp, self.a
        d.station_order(asp, self.site, "premium", 1)
        d.events.clear()
        with self.assertRaises(roster.Misuse) as cm:
            d.preview()
        self.assertEqual(cm.exception.rule, "txn.none")
        d.begin()
        u = d.user_create(asp, a, first_name="Gen", last_name="Pass",
                          email="gen@acme.example", site=self.site,
                          pack="premium", generate_password=True)
        pv = d.preview()
        d.rollback()
        self.assertEqual(d.events, [], "a dry run delivers nothing")
        self.assertIsNone(d.find_login("gen@acme.example"))
        types = [e["type"] for e in pv["events"]]
        self.assertEqual(types, ["user.created", "email.welcome"])
        welcome = pv["events"][1]
        self.assertEqual((welcome["user"], welcome["seq"]), (u, 0))
        self.assertIsNone(welcome["secret"])
        self.assertEqual(welcome["withheld"],
                         frozenset({"secret", "password"}))
        self.assertEqual(pv["deltas"],
                         [{"kind": "pack", "record": self.site,
                           "item": "premium", "purchased": 0,
                           "in_use": 1}])
        self.assertEqual(pv["billing"][0]["user"], u)
        self.assertIn("billable", pv["billing"][0]["what"])
        # committed, the generated password reaches the host once
        u = d.user_create(asp, a, first_name="Gen", last_name="Pass",
                          email="gen@acme.example", generate_password=True)
        welcome = [e for e in d.events if e["type"] == "email.welcome"]
        self.assertTrue(welcome[0]["password"])
        self.assertEqual(d.login("gen@acme.example", welcome[0]["password"]),
                         u)

    def test_catalog(self):
        d, asp, a = self.d, self.asp, self.a
        d.station_order(asp, self.site, "basic", 1)
        u = d.user_create(asp, a, first_name="Ba", last_name="Sic",
                          email="basic@acme.example", site=self.site,
                          pack="basic")
        self.assertEqual([i for i, _ in d.catalog_items("pack")],
                         ["premium", "standard", "basic"])
        self.assertEqual(dict(d.catalog_items("pack", language="fr"))
                         ["basic"], "Basique")
        d.set_language("cs")
        self.assertEqual(dict(d.catalog_items("pack"))["basic"], "Základní")
        default = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "..", "data", "catalog.xml")
        with open(default, "rb") as f:
            xml = f.read()
        smaller = re.sub(rb'<pack id="basic">.*?</pack>', b"", xml,
                         flags=re.S)
        self.assertEqual(d.set_catalog(xml=smaller), [u])
        self.assertEqual([i for i, _ in d.catalog_items("pack")],
                         ["premium", "standard"])
        self.assertEqual(d.user_get(u)["pack"], "basic", "reported, kept")
        self.assertEqual(d.set_catalog(path=default), [])
        with self.assertRaises(roster.ParseError) as cm:
            d.set_catalog(xml="<catalog")
        self.assertEqual(cm.exception.rule, "catalog.syntax")
        with self.assertRaises(roster.StorageError):
            d.set_catalog(path=default + ".missing")
        with self.assertRaises(ValueError):
            d.set_catalog()
        with self.assertRaises(KeyError):
            d.catalog_items("packs")
        d.begin()
        with self.assertRaises(roster.Misuse) as cm:
            d.set_catalog(path=default)
        self.assertEqual(cm.exception.rule, "txn.open")
        d.rollback()

    def test_passwords_and_labels(self):
        with self.assertRaises(roster.InvalidValue) as cm:
            self.d.password_check("short")
        self.assertEqual(cm.exception.rule, "password.length")
        self.assertIsNone(self.d.password_check("a long enough secret"))
        self.assertEqual(roster.field_label("first_name", "en"),
                         "first name")
        self.assertNotEqual(roster.field_label("first_name", "fr"),
                            roster.field_label("first_name", "en"))
        self.assertIn("cs-CZ", roster.phone_languages())
        with self.assertRaises(KeyError):
            roster.field_label("nope")

    def test_password_policy(self):
        d = self.d
        self.assertEqual(d.password_policy(), {
            "min_length": 12, "max_length": 128, "required_classes": [],
            "generated_length": 16, "hash_cost": 5, "reset_ttl": 86400,
            "welcome_ttl": 7 * 86400})
        d.set_password_policy(min_length=14, required_classes=["upper",
                                                              "digit"],
                              reset_ttl=3600)
        pol = d.password_policy()
        self.assertEqual((pol["min_length"], pol["required_classes"],
                          pol["reset_ttl"], pol["max_length"]),
                         (14, ["digit", "upper"], 3600, 128))
        with self.assertRaises(roster.InvalidValue) as cm:
            d.password_check("a long enough secret")
        self.assertEqual(cm.exception.rule, "password.classes")
        self.assertIsNone(d.password_check("A long enough secret 1"))
        # refused as a whole, naming the member; nothing changes
        with self.assertRaises(roster.InvalidArgument) as cm:
            d.set_password_policy(min_length=20)  # above generated 16
        self.assertEqual((cm.exception.rule, cm.exception.field),
                         ("policy.range", "generated_length"))
        self.assertEqual(d.password_policy(), pol)
        for kw, exc in (({"min_lenght": 12}, KeyError),
                        ({"required_classes": ["upper", "emoji"]}, KeyError),
                        ({"required_classes": "upper"}, TypeError),
                        ({"min_length": "12"}, TypeError),
                        ({"min_length": True}, TypeError),
                        ({"min_length": 2**32 + 14}, ValueError),
                        ({"reset_ttl": 2**63}, ValueError)):
            with self.assertRaises(exc, msg=kw):
                d.set_password_policy(**kw)
        self.assertEqual(d.password_policy(), pol)
        d.set_password_policy(generated_length=24)
        pw = d.password_generate()
        self.assertEqual(len(pw), 24)
        self.assertIsNone(d.password_check(pw))
        self.assertNotEqual(pw, d.password_generate())
        with d.transaction():
            with self.assertRaises(roster.Misuse):
                d.set_password_policy(min_length=12)


class OptionsLayout(unittest.TestCase):
    def test_size_matches_the_library(self):
        # options_init clears exactly the struct of its version: every
        # byte of the mirror and none past it
        size = ctypes.sizeof(roster._Options)
        buf = (ctypes.c_ubyte * (size + 16))(*([0xAA] * (size + 16)))
        rc = roster._options_init(ctypes.cast(buf, ctypes.POINTER(
            roster._Options)), 3)
        self.assertEqual(rc, 0)
        self.assertEqual(bytes(buf[4:size]), bytes(size - 4))
        self.assertEqual(bytes(buf[size:]), b"\xaa" * 16)

    def test_password_policy_size(self):
        size = ctypes.sizeof(roster._Policy)
        buf = (ctypes.c_ubyte * (size + 16))(*([0xAA] * (size + 16)))
        rc = roster._policy_init(ctypes.cast(buf, ctypes.POINTER(
            roster._Policy)), 1)
        self.assertEqual(rc, 0)
        pol = roster._Policy.from_buffer_copy(bytes(buf[:size]))
        self.assertEqual((pol.version, pol.min_length, pol.hash_cost,
                          pol.welcome_ttl), (1, 12, 5, 7 * 86400))
        self.assertEqual(bytes(buf[size:]), b"\xaa" * 16)

    def test_import_options_size(self):
        # version 2 fills the binding's struct, version 1 its own part
        size = ctypes.sizeof(roster._ImportOptions)
        v1 = roster._ImportOptions.country.offset
        for version, end in ((2, size), (1, v1)):
            buf = (ctypes.c_ubyte * (size + 16))(*([0xAA] * (size + 16)))
            rc = roster._import_options_init(ctypes.cast(
                buf, ctypes.POINTER(roster._ImportOptions)), version)
            self.assertEqual(rc, 0)
            self.assertEqual(bytes(buf[4:end]), bytes(end - 4))
            self.assertEqual(bytes(buf[end:]), b"\xaa" * (size + 16 - end))

    def test_members_at_their_offsets(self):
        opts = roster._Options()
        self.assertEqual(roster._options_init(ctypes.byref(opts), 3), 0)
        self.assertEqual(opts.version, 3)
        for member, value in (("flags", 2), ("reserved", 1)):
            o = roster._Options()
            roster._options_init(ctypes.byref(o), 3)
            setattr(o, member, value)
            h = ctypes.c_void_p()
            with self.assertRaises(roster.InvalidArgument) as cm:
                roster._check_tl(roster._open(ctypes.byref(h),
                                              ctypes.byref(o)))
            self.assertEqual(cm.exception.field, member)
            self.assertFalse(h.value)


class Stores(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "dir.store")

    def tearDown(self):
        self.tmp.cleanup()

    def populate(self, d):
        p = d.partner_create(roster.SYSTEM, "Reseller")
        a = d.account_create(roster.partner(p), p, "Acme")
        u = d.user_create(roster.partner(p), a, first_name="Ada",
                          last_name="Admin", email="ada@acme.example",
                          admin=True, phone="+33 1 23 45 67 89")
        return p, a, u

    def test_reopen_file_store(self):
        with roster.Directory(path=self.path, nosync=True) as d:
            p, a, u = self.populate(d)
            before = d.user_get(u)
        self.assertTrue(os.path.exists(self.path))
        with roster.Directory(path=self.path, nosync=True) as d:
            self.assertEqual(d.find_login("ADA@acme.example"), u)
            self.assertEqual(d.user_get(u), before)
            self.assertEqual(before["phone"], "+33123456789")
            # the identifiers go on after the stored ones
            b = d.account_create(roster.partner(p), p, "Beta")
            self.assertGreater(b, u)

    def test_outbox_after_reopen(self):
        with roster.Directory(path=self.path, nosync=True) as d:
            p, a, u = self.populate(d)
            live = list(d.events)
        self.assertEqual([e["type"] for e in live],
                         ["partner.created", "account.created",
                          "user.created", "email.welcome"])
        self.assertTrue(live[3]["secret"])
        # the host crashed before acting on any: replay after reopening
        got = []
        with roster.Directory(path=self.path, nosync=True,
                              on_event=got.append) as d:
            self.assertEqual(d.outbox_replay(max=2), 2)
            self.assertEqual([e["seq"] for e in got],
                             [e["seq"] for e in live[:2]])
            got.clear()
            self.assertEqual(d.outbox_replay(), 4)
            self.assertEqual([(e["seq"], e["type"]) for e in got],
                             [(e["seq"], e["type"]) for e in live])
            self.assertTrue(all(e["replayed"] for e in got))
            welcome = got[3]
            self.assertIsNone(welcome["secret"], "secrets are never stored")
            self.assertEqual(welcome["withheld"], frozenset({"secret"}))
            self.assertEqual(welcome["email"], "ada@acme.example")
            self.assertEqual(welcome["user"], u)
            # acknowledge the first three; twice is harmless
            first, last = live[0]["seq"], live[2]["seq"]
            self.assertEqual(d.outbox_ack(first, last), 3)
            self.assertEqual(d.outbox_ack(first, last), 0)
            got.clear()
            self.assertEqual(d.outbox_replay(), 1)
            self.assertEqual(got[0]["type"], "email.welcome")
            with self.assertRaises(roster.InvalidArgument):
                d.outbox_ack(last, first)
            # the host issues a new token for the withheld one
            got.clear()
            d.welcome_send(roster.partner(p), a, [u])
            self.assertEqual([e["type"] for e in got], ["email.welcome"])
            self.assertTrue(got[0]["secret"])
            self.assertFalse(got[0]["replayed"])
            self.assertGreater(got[0]["seq"], live[-1]["seq"])
            self.assertEqual(d.outbox_ack(0, 2 ** 64 - 1), 2)
            self.assertEqual(d.outbox_replay(), 0)
        with roster.Directory(path=self.path, nosync=True, outbox=False) as d:
            d.user_update(roster.partner(p), u, note="no outbox")
            self.assertEqual(len(d.events), 1)
            self.assertEqual(d.outbox_replay(), 0)

    def test_conflict_on_one_file_store(self):
        with roster.FileStore(self.path, nosync=True) as fs:
            a = roster.Directory(store=fs)
            b = roster.Directory(store=fs)
            p, acct, u = self.populate(a)
            b.refresh()
            self.assertEqual(b.find_login("ada@acme.example"), u)
            asp = roster.partner(p)
            a.user_update(asp, u, note="from a")
            with self.assertRaises(roster.Conflict) as cm:
                b.user_update(asp, u, note="from b")
            e = cm.exception
            self.assertEqual((e.code, e.name, e.rule),
                             (roster.ECONFLICT, "ECONFLICT",
                              "storage.conflict"))
            # the loser refreshed itself: it sees the winner and retries
            self.assertEqual(b.user_get(u)["note"], "from a")
            b.user_update(asp, u, note="from b")
            a.refresh()
            self.assertEqual(a.user_get(u)["note"], "from b")
            # a store is closed after its directories
            with self.assertRaises(roster.Misuse):
                fs.close()
            a.close()
            b.close()

    def test_two_handles_on_one_path(self):
        with roster.Directory(path=self.path, nosync=True) as a, \
                roster.Directory(path=self.path, nosync=True) as b:
            p, acct, u = self.populate(a)
            self.assertIsNone(b.find_login("ada@acme.example"))
            with self.assertRaises(roster.Conflict):
                b.partner_create(roster.SYSTEM, "Reseller")
            self.assertEqual(b.find_login("ada@acme.example"), u)

    def test_shared_memory_store(self):
        ms = roster.MemStore()
        a = roster.Directory(store=ms)
        b = roster.Directory(store=ms)
        p, acct, u = self.populate(a)
        self.assertIsNone(b.find_login("ada@acme.example"))
        b.refresh()
        self.assertEqual(b.find_login("ada@acme.example"), u)
        b.begin()
        with self.assertRaises(roster.Misuse) as cm:
            b.refresh()  # not while a transaction is open
        self.assertEqual(cm.exception.rule, "txn.open")
        b.rollback()
        a.close()
        b.close()
        ms.close()
        with self.assertRaises(roster.Misuse):
            roster.Directory(store=ms)

    def test_store_errors(self):
        with open(self.path, "wb") as f:
            f.write(b"not a roster store, but long enough to look at\n" * 4)
        with self.assertRaises(roster.ParseError) as cm:
            roster.Directory(path=self.path)
        self.assertEqual(cm.exception.rule, "storage.file")
        with self.assertRaises(roster.StorageError) as cm:
            roster.FileStore(os.path.join(self.tmp.name, "no", "such"))
        self.assertEqual(cm.exception.rule, "storage.failed")
        with self.assertRaises(ValueError):
            roster.Directory(path=self.path, store=roster.MemStore())


if __name__ == "__main__":
    print("roster", roster.version())
    unittest.main()
