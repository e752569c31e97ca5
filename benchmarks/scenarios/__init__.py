"""One module per scenario of issue 9; each has `run(ctx) -> list[Row]` and a `TITLE`."""

from benchmarks.scenarios import (s1_first_paint, s2_clients, s3_timeline, s4_export, s5_writes, s6_invoice,
                                  s7_help, s8_memory, s9_rotate_key)
from benchmarks.scenarios import s10_verify
from benchmarks.scenarios import s12_import
from benchmarks.scenarios import s13_scoped
from benchmarks.scenarios import s14_ten_million
from benchmarks.scenarios import s15_many_staff

ALL = [s1_first_paint, s2_clients, s3_timeline, s4_export, s5_writes, s6_invoice, s7_help, s8_memory,
       s9_rotate_key, s10_verify, s12_import, s13_scoped, s14_ten_million, s15_many_staff]
