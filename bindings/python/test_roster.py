"""Tests of the Python bindings (run with ROSTER_LIB set)."""
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
        u = self.d.user_create(
            roster.user(self.admin), self.a, first_name=" Marie ",
            last_name="Dvořáková", email="marie@acme.example", pbx=self.pbx,
            extension="201", lines=["+420 601 000 001"], two_factor=True)
        got = self.d.user_get(u)
        self.assertEqual(got["display_name"], "Marie Dvořáková")
        self.assertEqual(got["lines"], ["+420601000001"])
        self.assertTrue(got["two_factor"])
        self.assertFalse(got["registered"])
        types = [e["type"] for e in self.d.events]
        self.assertIn("email.welcome", types)
        self.assertEqual(types.count("pbx.reload"), 1)  # Marie is on the PBX

    def test_refusal_in_french(self):
        self.d.set_language("fr")
        with self.assertRaises(roster.Error) as cm:
            self.d.user_delete(self.asp, self.admin)
        self.assertEqual(cm.exception.code, -8)
        self.assertEqual(cm.exception.rule, "admin.delete")
        self.assertIn("administrateur", cm.exception.message)
        with self.assertRaises(roster.Error) as cm:
            self.d.user_create(self.asp, self.a, first_name="X",
                               last_name="Y", email="ADA@acme.example")
        self.assertEqual(cm.exception.rule, "email.unique")
        self.assertEqual(cm.exception.field, "email")

    def test_self_service_and_login(self):
        u = self.d.user_create(roster.user(self.admin), self.a,
                               first_name="Tom", last_name="Novak",
                               email="tom@acme.example",
                               password="a long secret")
        me = roster.user(u)
        self.assertTrue(self.d.may_edit(me, u, "language"))
        self.assertFalse(self.d.may_edit(me, u, "admin"))
        with self.assertRaises(roster.Error) as cm:
            self.d.user_update(me, u, admin=True)
        self.assertEqual(cm.exception.rule, "auth.field")
        self.d.user_update(me, u, language="cs-CZ")
        self.assertEqual(self.d.login("TOM@acme.example", "a long secret"), u)
        with self.assertRaises(roster.Error) as cm:
            self.d.login("tom@acme.example", "wrong")
        self.assertEqual(cm.exception.code, -18)

    def test_transaction(self):
        self.d.events.clear()
        with self.assertRaises(roster.Error):
            with self.d.transaction():
                self.d.user_create(self.asp, self.a, first_name="A",
                                   last_name="B", email="ab@acme.example")
                self.d.user_delete(self.asp, self.admin)  # refused
        self.assertEqual(self.d.events, [])
        with self.d.transaction():
            self.d.user_create(self.asp, self.a, first_name="A",
                               last_name="B", email="ab@acme.example")
        self.assertIn("user.created", [e["type"] for e in self.d.events])

    def test_bad_input(self):
        with self.assertRaises(roster.Error) as cm:
            self.d.user_create(self.asp, self.a, first_name="\x07",
                               last_name="Y", email="y@acme.example")
        self.assertEqual(cm.exception.rule, "text.control")
        with self.assertRaises(KeyError):
            self.d.user_create(self.asp, self.a, nope="x")


if __name__ == "__main__":
    print("roster", roster.version())
    unittest.main()
