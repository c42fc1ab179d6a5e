#!/usr/bin/env python3
"""Writes the GBK example exports (Chinese headers, slash dates, thousands separators and planted broken
rows) from the first 300 customers of data-samples/, as a Chinese utility's systems would export them.

    python3 data-samples/gbk-example/make_gbk_example.py

Planted broken rows are listed in planted_rejects.csv (export, line, reason): the tests check that
custseg rejects exactly those, on those lines.
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..")
N = 300


def slash(d):
    return d.replace("-", "/")


def money(x):
    return f"{float(x):,.2f}" if x else ""


def rows(name):
    with open(os.path.join(SRC, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


customers = rows("customers.csv")[:N]
keep = {c["customer_id"] for c in customers}
region = {"north": "华北", "south": "华南", "east": "华东", "west": "西部", "city": "市区", "rural": "农村"}
planted = []


def write(name, header, records, broken):
    """records: list of lists; broken: {index: (row, reason)} inserted before records[index]."""
    path = os.path.join(HERE, name)
    with open(path, "w", newline="", encoding="gbk") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        line = 1
        for i, r in enumerate(records):
            if i in broken:
                row, reason = broken[i]
                line += 1
                if row is None:
                    f.write("\n")
                else:
                    w.writerow(row)
                planted.append((name.split(".")[0], line, reason))
            w.writerow(r)
            line += 1


bills = [b for b in rows("billing.csv") if b["customer_id"] in keep]
write(
    "billing.csv",
    ["户号", "账单日期", "用电量", "电费金额", "到期日", "缴费日期", "实缴金额", "缴费方式"],
    [[b["customer_id"], slash(b["bill_date"]), f"{int(b['consumption']):,}", money(b["amount_due"]), slash(b["due_date"]),
      slash(b["paid_date"]), money(b["amount_paid"]), b["payment_method"]] for b in bills],
    {
        10: (["C0000002", "2026/13/05", "120", "30.00", "2026/02/25", "", "", "cash"], "not a date"),
        20: (["C0000003", "2026/01/05", "-40", "12.00", "2026/01/25", "", "", "cash"], "negative consumption"),
        30: (["", "2026/01/05", "100", "25.00", "2026/01/25", "", "", "cash"], "missing customer_id"),
        40: (["C0000004", "2026/01/05", "100", "二十五", "2026/01/25", "", "", "cash"], "not a number"),
        50: (None, "blank line"),
    },
)
outs = [o for o in rows("outages.csv") if o["customer_id"] in keep]
write(
    "outages.csv",
    ["户号", "停电开始时间", "停电结束时间", "停电原因"],
    [[o["customer_id"], slash(o["outage_start"])[:16], slash(o["outage_end"])[:16],
      "计划" if o["cause"] == "planned" else "故障"] for o in outs],
    {5: (["C0000005", "2026/03/11 15:24", "2026/03/11 12:00", "故障"], "outage ends before it starts")},
)
tickets = [t for t in rows("tickets.csv") if t["customer_id"] in keep]
write(
    "tickets.csv",
    ["工单号", "户号", "受理时间", "办结时间", "诉求类型", "渠道"],
    [[t["ticket_id"], t["customer_id"], slash(t["opened_at"])[:16], slash(t["closed_at"])[:16], t["category"],
      t["channel"]] for t in tickets],
    {},
)
write(
    "customers.csv",
    ["户号", "地区", "用户类别", "住宅类型", "是否业主", "采暖方式", "电动汽车", "立户日期"],
    [[c["customer_id"], region[c["region"]], c["customer_class"], c["dwelling"], c["homeowner"], c["heating"],
      c["ev_owner"], slash(c["service_start"])] for c in customers],
    {},
)
with open(os.path.join(HERE, "planted_rejects.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["export", "line", "reason"])
    w.writerows(planted)
