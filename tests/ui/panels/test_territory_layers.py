"""The Territory layers dock and account pins as a planner uses them: add a territory layer with a typed
rule, switch scenario, pick an account on the map and pin it, unpin, promote; metrics follow and undo
restores; the feature says "territory layer" everywhere in the window."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territory_layers import AddLayer, PinAccounts

from tests.conftest import make_grid_project


@pytest.fixture
def window(window):
    window.default_answer = QMessageBox.StandardButton.Discard
    return window


def open_grid(window):
    p = make_grid_project(6, 6, 3)
    window.set_document(Document(p))
    QApplication.processEvents()
    return p


def panel(window):
    sa = window.areas["territory_layers"]
    sa.dock.show()
    sa.dock.raise_()
    QApplication.processEvents()
    return sa.panel


def click_action(qtbot, widget, action):
    """Click the tool button that shows ``action`` in one of the widget's toolbars."""
    from PySide6.QtWidgets import QToolBar

    for bar in widget.findChildren(QToolBar):
        button = bar.widgetForAction(action)
        if button is not None and button.isVisible():
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            return
    raise AssertionError(f"no visible button for {action.text()!r}")


def accounts_per_territory(window) -> list[int]:
    rows = sorted(window.metrics_panel.displayed_rows(), key=lambda r: r["territory"])
    return [r["accounts"] for r in rows]


def test_add_layer_with_a_typed_rule_then_undo(qtbot, window, tmp_path):
    p = open_grid(window)
    lp = panel(window)
    assert [lp.tree.topLevelItem(i).text(0) for i in range(lp.tree.topLevelItemCount())] == ["All accounts"]
    click_action(qtbot, lp, lp.act_add)
    dialog = lp.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name, "Enterprise")
    qtbot.keyClicks(dialog.rule, "employees >= 1000")
    qtbot.waitUntil(lambda: "not a column" in dialog.rule_status.text())
    assert not dialog.ok_button.isEnabled()
    dialog.rule.selectAll()
    qtbot.keyClicks(dialog.rule, "segment = Enterprise")
    qtbot.waitUntil(lambda: dialog.rule_status.text() == "routes 10 of 40 accounts")
    assert dialog.ok_button.isEnabled()
    dialog.grab().save(str(tmp_path / "layer_dialog.png"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [tl.name for tl in p.layers] == ["Enterprise"]
    assert p.active == "Enterprise plan" and p.scenario.live
    assert sum(accounts_per_territory(window)) == 10  # only the layer's accounts count
    top = [lp.tree.topLevelItem(i) for i in range(lp.tree.topLevelItemCount())]
    assert [(t.text(0), t.text(1), t.text(2)) for t in top] == [
        ("All accounts", "every account", "40"), ("Enterprise", "segment = Enterprise", "10")]
    item = lp.scenario_item("Enterprise plan")
    assert item.font(0).bold() and item.text(1) == "live plan"
    lp.grab().save(str(tmp_path / "layer_dock.png"))
    window.act_undo.trigger()
    assert p.layers == [] and p.active == "Base"
    assert sum(accounts_per_territory(window)) == 40
    assert lp.tree.topLevelItemCount() == 1


def test_edit_and_delete_layer_from_the_dock(qtbot, window):
    p = open_grid(window)
    window.model.push(AddLayer("Enterprise", "segment = Enterprise", from_scenario="Base"))
    lp = panel(window)
    lp.tree.setCurrentItem(lp.layer_item("Enterprise"))
    click_action(qtbot, lp, lp.act_edit)
    dialog = lp.dialog
    assert dialog.name.text() == "Enterprise" and dialog.rule.text() == "segment = Enterprise"
    dialog.rule.selectAll()
    qtbot.keyClicks(dialog.rule, "segment != Enterprise")
    qtbot.waitUntil(lambda: dialog.rule_status.text() == "routes 30 of 40 accounts")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert p.layers[0].rule == "segment != Enterprise"
    assert sum(accounts_per_territory(window)) == 30
    lp.tree.setCurrentItem(lp.layer_item("Enterprise"))
    lp._confirm = lambda title, text: "and its 1 scenario(s)" in text
    click_action(qtbot, lp, lp.act_delete)
    assert p.layers == [] and p.active == "Base" and [s.name for s in p.scenarios] == ["Base"]
    window.act_undo.trigger()
    assert [tl.name for tl in p.layers] == ["Enterprise"] and p.active == "Enterprise plan"


def test_switch_scenario_in_the_dock_switches_the_layer(qtbot, window):
    p = open_grid(window)
    window.model.push(AddLayer("Enterprise", "segment = Enterprise", from_scenario="Base"))
    lp = panel(window)
    item = lp.scenario_item("Base")
    rect = lp.tree.visualItemRect(item)
    qtbot.mouseClick(lp.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(lp.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert p.active == "Base"
    assert sum(accounts_per_territory(window)) == 40
    assert lp.scenario_item("Base").font(0).bold() and not lp.scenario_item("Enterprise plan").font(0).bold()
    window.act_undo.trigger()
    assert p.active == "Enterprise plan"


def test_promote_from_the_scenarios_menu(qtbot, window):
    p = open_grid(window)
    from territory_desk.domain.editing.scenarios import DuplicateScenario, SwitchScenario
    window.model.push(DuplicateScenario("Base", "Plan B"))
    p.get_scenario("Base").live = True
    window.model.push(SwitchScenario("Plan B"))
    act = window.areas["territory_layers"].act_promote
    assert act in window.menus["scenarios"].actions()
    act.trigger()
    assert p.get_scenario("Plan B").live and not p.get_scenario("Base").live
    lp = panel(window)
    assert lp.scenario_item("Plan B").text(1) == "live plan" and lp.scenario_item("Base").text(1) == ""
    window.act_undo.trigger()
    assert p.get_scenario("Base").live and not p.get_scenario("Plan B").live


def lonely_account(window, p) -> int:
    """An account inside territory 0 with no other account within 20 pixels (so a click hits it)."""
    overlay = window.areas["territory_layers"].overlay
    xy = overlay.points.xy
    view = window.canvas.view
    sx, sy = view.to_screen(xy[:, 0], xy[:, 1])
    pts = np.column_stack([sx, sy])
    sc = p.scenario
    for i in range(len(p.accounts)):
        d = np.hypot(*(pts - pts[i]).T)
        d[i] = np.inf
        inside = 20 < pts[i, 0] < view.width - 20 and 20 < pts[i, 1] < view.height - 20
        if inside and d.min() > 20 and sc.assignment[p.accounts.unit_index[i]] == 0:
            return i
    raise AssertionError("no isolated account")


def test_pin_an_account_by_clicking_it_on_the_map(qtbot, window, tmp_path):
    p = open_grid(window)
    canvas = window.canvas
    canvas.cache.wait()
    canvas.flush()
    sa = window.areas["territory_layers"]
    click_action(qtbot, window, sa.act_pick)  # the toolbar's "Pick accounts" tool
    assert canvas.tool == "pick_accounts" and canvas.layer_visible("accounts")
    i = lonely_account(window, p)
    x, y = canvas.view.to_screen(*sa.overlay.points.xy[i])
    pos = QPoint(round(float(x)), round(float(y)) + 3)  # a few pixels off: picking has a radius
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert sa.overlay.picked == [i]
    before = accounts_per_territory(window)
    sa._ask_territory = lambda names, current: 2
    sa.act_pin_picked.trigger()
    acc_id = p.accounts.ids[i]
    assert p.scenario.pins == {acc_id: "T2"}
    after = accounts_per_territory(window)
    assert after == [before[0] - 1, before[1], before[2] + 1]  # the metrics count the pin at once
    assert sa.overlay.picked == []
    lp = panel(window)
    assert lp.pin_list.count() == 1 and acc_id in lp.pin_list.item(0).text()
    # the map shows a diamond in the pinned territory's colour where the account lies
    canvas.flush()
    image = canvas.grab().toImage()
    dpr = image.devicePixelRatio()
    pixel = image.pixelColor(round(float(x) * dpr), round(float(y) * dpr))
    assert pixel.name() == p.scenario.territories[2].color
    canvas.grab().save(str(tmp_path / "canvas_pins.png"))
    window.act_undo.trigger()
    assert p.scenario.pins == {} and accounts_per_territory(window) == before
    assert lp.pin_list.count() == 0


def test_shift_click_picks_several_and_escape_clears(qtbot, window):
    p = open_grid(window)
    canvas = window.canvas
    canvas.cache.wait()
    canvas.flush()
    sa = window.areas["territory_layers"]
    sa.act_pick.trigger()
    xy = sa.overlay.points.xy
    i = lonely_account(window, p)
    others = [j for j in range(len(p.accounts)) if j != i]
    sx, sy = canvas.view.to_screen(xy[:, 0], xy[:, 1])
    dist = np.hypot(sx - sx[i], sy - sy[i])
    j = min(others, key=lambda k: (np.sort(np.hypot(sx - sx[k], sy - sy[k]))[1] < 20, -dist[k]))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(sx[i]), round(sy[i])))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     QPoint(round(sx[j]), round(sy[j])))
    assert sa.overlay.picked == [i, j]
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert sa.overlay.picked == []


def test_pin_from_the_searchable_list_and_unpin(qtbot, window):
    p = open_grid(window)
    lp = panel(window)
    click_action(qtbot, lp, lp.act_pin)
    dialog = window.areas["territory_layers"].pin_dialog
    assert dialog.isVisible() and dialog.model.rowCount() == 40
    qtbot.keyClicks(dialog.search, "account 1")  # Account 1, 10..19
    assert dialog.model.rowCount() == 11
    qtbot.keyClicks(dialog.search, "2")
    assert dialog.model.rowCount() == 1 and dialog.model.data(dialog.model.index(0, 0)) == "A012"
    rect = dialog.table.visualRect(dialog.model.index(0, 1))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog.territory.setCurrentIndex(1)
    ok = dialog.buttons.buttons()[0]
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert p.scenario.pins == {"A012": "T1"}
    window.model.push(PinAccounts(["A013"], "T0"))
    assert lp.pin_list.count() == 2
    item = next(lp.pin_list.item(k) for k in range(2) if "A012" in lp.pin_list.item(k).text())
    qtbot.mouseClick(lp.pin_list.viewport(), Qt.MouseButton.LeftButton, pos=lp.pin_list.visualItemRect(item).center())
    click_action(qtbot, lp, lp.act_unpin)
    assert p.scenario.pins == {"A013": "T0"}


def test_the_window_says_territory_layer(window):
    """One word per concept: the dock, its View entry, the menus and the panel's actions say "territory
    layer(s)"; "segment" appears nowhere and a bare "layer" only for map layers and the base layer."""
    open_grid(window)
    area = window.areas["territory_layers"]
    assert area.dock.windowTitle() == "Territory layers"
    view_texts = [a.text().replace("&", "") for a in window.menus["view"].actions()]
    assert "Territory layers" in view_texts
    texts = []
    for menu in window.menus.values():
        for a in menu.actions():
            texts += [a.text().replace("&", ""), a.statusTip(), a.toolTip()]
    texts += [t for a in area.panel.layer_actions + area.panel.scenario_actions for t in (a.text(), a.toolTip())]
    assert not [t for t in texts if "segment" in t.lower()]
    map_layers = {"Accounts", "State outlines", "Unit labels", "Territory labels"}
    bare = [t for t in texts if "layer" in t.lower() and "territory layer" not in t.lower() and "base layer" not in t]
    assert not bare, bare
    assert map_layers <= set(view_texts)
    assert "Add territory layer…" in [a.text().replace("&", "") for a in window.menus["scenarios"].actions()]
