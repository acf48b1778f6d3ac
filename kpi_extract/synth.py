"""A synthetic corpus with ground truth: dumps of the three layouts, printed like the real ones.

:func:`generate` renders documents of layouts A (``kpi_result``), B (``kpi_detail``) and C
(``project_progress``) line by line the way the reporting system prints them (headings,
banners, navigation lines, blank lines between paragraphs, footers), with the quirks of the
real dumps (:data:`QUIRKS`), and keeps beside each file the values it printed: one truth dict
per record with the record-contract keys it sets (numbers as printed but in Arabic digits,
dates ISO). A record's truth is filled as its lines are written, so a file cut short
(``"truncated": true``) lists only what is still there (the cut narrative as far as it goes).
The same ``(n, seed)`` always gives the same bytes: only ``random.Random(seed)`` is used.

>>> doc = next(generate(1, seed=3))
>>> doc.name, doc.layout, doc.truth[0]["layout"] == doc.layout
('kpi_result/00000000.txt', 'kpi_result', True)
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

__all__ = ["LAYOUT_MIX", "QUIRKS", "SynthDoc", "generate", "write_corpus"]

Truth = dict[str, Any]

#: Share of each layout in a corpus.
LAYOUT_MIX: Final = MappingProxyType(
    {"kpi_result": 0.4, "kpi_detail": 0.4, "project_progress": 0.2}
)
#: Probability of each quirk (per document unless the comment says otherwise).
QUIRKS: Final = MappingProxyType(
    {
        "multi_record": 0.2,  # A, B: 2-3 records in one file
        "cp874": 0.1,  # encoded Windows-874 instead of UTF-8
        "crlf": 0.1,  # CRLF line ends
        "truncated": 0.03,  # cut in the last record's narrative, no final newline
        "cut_in_character": 0.5,  # per truncated UTF-8 file: cut inside its last character
        "thai_digits": 0.3,  # then each value, date, paragraph in Thai digits at 50 %
        "thai_strategy_codes": 0.8,  # per strategy block (as in every seed)
        "lost_character": 0.2,  # some narrative clauses carry ? for lost characters
        "misspelt_heading": 0.3,  # per A record: คำนียาม / คำนยาม
        "banner_in_q4": 0.35,  # per A record: page header inside the (6.4) narrative
        "banner_in_quarter": 0.05,  # per other A quarter
        "c_page_break": 0.7,  # C: the | table goes on as plain lines after a page header
        "footer": 0.9,  # per record (A, C)
        "navigation": 0.95,  # per B navigation line
        "stray_zero": 0.9,  # per B page
        "mid_year": 0.3,  # per B page: later quarters not reported yet (0.00, "-")
        "table_lost": 0.04,  # per B page: the quarterly table is missing
        "numbered": 0.15,  # per narrative of 3+ paragraphs: numbered paragraphs after the first
        "name_prefix": 0.25,  # per A record: อ.2/2 or (เจรจา7.1) glued before the name
        "routine_work": 0.15,  # per A record: no strategy, routine work
        "title_cut": 0.1,  # per record: a strategy title cut by the exporter, ending in %
    }
)

_THAI_DIGITS: Final = tuple(zip("0123456789", "๐๑๒๓๔๕๖๗๘๙", strict=True))
_DIGIT_RE: Final = re.compile(r"\d")
_A_BANNER: Final = "**** ผลการดำเนินงานส่วนที่ 2 ผลสัมฤทธิ์การปฏิบัติงานตามแผนปฏิบัติ{}ประจำปี แยกรายตัวชี้วัด ****"
_PLAN: Final = "สนับสนุนแผนพัฒนา กทม. ระยะ 20 ปี (ยุทธศาสตร์-ประเด็นยุทธศาสตร์-กลยุทธ์ตามแผนฯ /ตัวชี้วัด)"
_C_BANNER: Final = "**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****"
_CERTIFY: Final = (
    "ขอรับรองว่า ข้อมูลที่ปรากฏในเอกสารฉบับนี้ หน่วยงานได้จัดพิมพ์จากระบบงานจริง เพื่อเป็นหลักฐานไว้ตรวจสอบ"
)
_FOOTER: Final = ("ลงชื่อ.....(ผู้รับผิดชอบโครงการ)", "", "ตำแหน่ง", "", ".....", "")
_ROUTINE: Final = "**** การปฏิบัติงานประจำของหน่วยงาน ****"
_TABLE_HEAD: Final = ("ไตรมาสที่", "(1 - 4)", "*ผลงาน*", "({})", "*ผลประเมินตัวชี้วัด*", "(* 2.1 / 2.2 *)")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split(" "))


def _pool(text: str) -> tuple[str, ...]:
    """Items of a pool: one per line, or several per line separated by `` | ``."""
    return tuple(item.strip() for line in text.strip().splitlines() for item in line.split(" | "))


_MONTHS: Final = _pool("มกราคม | กุมภาพันธ์ | มีนาคม | เมษายน | พฤษภาคม | มิถุนายน | กรกฎาคม | สิงหาคม\n"
                       "กันยายน | ตุลาคม | พฤศจิกายน | ธันวาคม")  # fmt: skip
_ABBREVIATED: Final = _words("ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.")
_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WEEKDAYS: Final = _words("จันทร์ อังคาร พุธ พฤหัสบดี ศุกร์ เสาร์ อาทิตย์")
_DIMENSIONS: Final = _pool("""
    มหานครปลอดภัย : Bangkok as a Safe City
    มหานครสีเขียว สะดวกสบาย : Bangkok as a Green and Convenient City
    มหานครสำหรับทุกคน : Bangkok as a City for All | มหานครกระชับ : Bangkok as a Compact City
    มหานครประชาธิปไตย : Bangkok as a Democratic City
    มหานครแห่งเศรษฐกิจและการเรียนรู้ : Bangkok as an Economic and Learning City
    การบริหารจัดการเมืองมหานคร : Bangkok Metropolitan Management""")
_GOALS: Final = tuple(_pool(text) for text in ("""
    เมืองธรรมาภิบาล | ปลอดภัยจากอุบัติเหตุทางถนน | การจัดการขยะมูลฝอย
    คูคลองสะอาด การระบายน้ำคล่องตัว | ประชากรทุกกลุ่มได้รับการดูแลสุขภาพอย่างทั่วถึง
    การศึกษาของกรุงเทพมหานครมีคุณภาพ | พลเมืองกรุงเทพฯ ขับเคลื่อนวิสัยทัศน์ | การบริหารจัดการการเงินการคลัง""", """
    ประชาชนมีส่วนร่วมในการเสนอแนะนโยบายและตรวจสอบการทำงานของกรุงเทพมหานคร โดยการใช้ระบบงาน
    ชุมชนมีศักยภาพในการป้องกันอัคคีภัยเบื้องต้น | ปริมาณขยะมูลฝอยลดลงจากการคัดแยกขยะที่ต้นทาง
    คุณภาพน้ำในคูคลองสายหลักผ่านเกณฑ์มาตรฐาน
    ผู้สูงอายุได้รับบริการสุขภาพที่มีคุณภาพ ครอบคลุมการส่งเสริม ป้องกัน และฟื้นฟูสมรรถภาพ
    นักเรียนในโรงเรียนสังกัดกรุงเทพมหานครมีผลสัมฤทธิ์ทางการเรียนสูงขึ้น
    กรุงเทพมหานครมีรายได้เพียงพอต่อการพัฒนาเมืองอย่างยั่งยืน""", """
    รับฟังความคิดเห็นของประชาชนผ่านสภาประชาชนกรุงเทพมหานคร | แก้ไขจุดเสี่ยงน้ำท่วมในพื้นที่สำนักงานเขต
    เปิดทางน้ำไหลและจัดเก็บขยะวัชพืชในคูคลองสาธารณะ | คัดกรองปัญหาสายตาและการได้ยินของนักเรียน
    จัดให้มีระบบขนส่งมวลชนรองเชื่อมต่อระบบขนส่งหลัก"""))  # fmt: skip
_KPIS: Final = _pool("""
    ร้อยละของชุมชนในพื้นที่กรุงเทพมหานครมีการจัดทำแผนพัฒนาชุมชน : ร้อยละ
    ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาพื้นที่ : ระดับ
    จำนวนเครือข่ายประชาคมที่เป็นทางการเพื่อให้ประชาชนเข้ามามีส่วนร่วมในการวางแผน : เครือข่าย
    ร้อยละของจุดเสี่ยงน้ำท่วมที่ได้รับการแก้ไข : ร้อยละ | จำนวนครั้งการเกิดเหตุเพลิงไหม้ในชุมชนแออัด : ครั้ง
    ร้อยละของนักเรียนชั้นประถมศึกษาปีที่ 1 ที่อ่านออกเขียนได้ตามเกณฑ์ : ร้อยละ
    จำนวนพื้นที่สีเขียวสาธารณะขนาดเล็กที่ได้รับการปรับปรุง : แห่ง
    ร้อยละของผู้ใช้บริการที่มีความพึงพอใจต่อการให้บริการของสำนักงานเขต : ร้อยละ
    ระดับความสำเร็จของการพัฒนาคลินิกผู้สูงอายุคุณภาพในศูนย์บริการสาธารณสุข : ระดับ
    ร้อยละของความยาวคลองที่ได้รับการเปิดทางน้ำไหลและจัดเก็บวัชพืช : ร้อยละ
    ร้อยละของผู้สูงอายุที่ลงทะเบียนได้รับการคัดกรองภาวะหกล้มและภาวะสมองเสื่อม : ร้อยละ
    ระดับความสำเร็จในการนำข้อมูลความต้องการจากเครือข่ายประชาคมเขตไปสู่การแก้ไข : ระดับ
    จำนวนชุมชนที่ได้รับการส่งเสริมการคัดแยกขยะมูลฝอยต้นทาง : ชุมชน
    ร้อยละของเรื่องร้องเรียนที่ได้รับการแก้ไขภายในระยะเวลาที่กำหนด : ร้อยละ""")
_DISTRICTS: Final = _words("หนองแขม บางนา จตุจักร บางเขน บางบอน บางคอแหลม ลาดพร้าว ดินแดง คลองเตย สาทร")
_OPENERS: Final = _pool("""
    ดำเนินการจัดประชุมคณะทำงานเพื่อกำหนดแนวทางการดำเนินงานและมอบหมายผู้รับผิดชอบ
    ประชุมหารือร่วมกับสำนักพัฒนาสังคมเพื่อบูรณาการการทำงานร่วมกันในการจัดทำแผนพัฒนาชุมชน
    จัดทำแผนปฏิบัติการและปฏิทินการดำเนินงานเสนอผู้อำนวยการเขตพิจารณาอนุมัติ
    ลงพื้นที่สำรวจข้อมูลและรับฟังความคิดเห็นของประชาชนในชุมชนเพื่อจัดลำดับความสำคัญของปัญหา
    ประสานกลุ่มการปฏิบัติงานของสำนักงานเขตเพื่อสอบถามความก้าวหน้าและปัญหาอุปสรรคของการดำเนินการ
    จัดอบรมเชิงปฏิบัติการให้แก่เจ้าหน้าที่และอาสาสมัครในพื้นที่เพื่อเสริมสร้างความรู้ความเข้าใจ
    ติดตามและประเมินผลการดำเนินงานตามตัวชี้วัดร่วมกับหน่วยงานที่เกี่ยวข้อง
    สรุปผลการดำเนินงานและรายงานผู้บริหารเพื่อทราบและพิจารณาสั่งการ
    อยู่ระหว่างขั้นตอนการจัดซื้อจัดจ้างตามระเบียบกรุงเทพมหานครว่าด้วยการพัสดุ
    ขออนุมัติเปลี่ยนแปลงรายละเอียดโครงการและปรับแผนการดำเนินงานให้สอดคล้องกับสถานการณ์
    ดำเนินการขับเคลื่อนเครือข่ายประชาสังคมกลุ่มการปฏิบัติงานของสำนักงานเขต
    เตรียมการประชุมคณะกรรมการชุมชนเพื่อคัดเลือกผู้แทนเข้าร่วมกิจกรรม
    ตรวจสอบและปรับปรุงฐานข้อมูลให้เป็นปัจจุบันก่อนนำเข้าระบบสารสนเทศของกรุงเทพมหานคร
    จัดกิจกรรมรณรงค์ประชาสัมพันธ์ร่วมกับสถานีตำรวจนครบาลและภาคีเครือข่ายในพื้นที่
    งดจัดกิจกรรมเนื่องจากสถานการณ์การแพร่ระบาดของโรคติดเชื้อไวรัสโคโรนา 2019 (โควิด-19)
    เลื่อนการจัดกิจกรรมออกไปเนื่องจากสถานการณ์น้ำท่วมขังในพื้นที่
    - สำนักงานเลขานุการสภากรุงเทพมหานครได้กำหนดการจัดกิจกรรมและแจ้งหน่วยงานที่เกี่ยวข้องแล้ว""")
_CLAUSES: Final = _pool("""
    โดยมีผู้แทนจากสำนักงานเขตและชุมชนในพื้นที่เข้าร่วม | ณ ห้องประชุมสำนักงานเขต
    ณ ห้องประชุมสภากรุงเทพมหานคร อาคารธานีนพรัตน์ ศาลาว่าการกรุงเทพมหานคร (ดินแดง)
    เพื่อให้การดำเนินงานเป็นไปตามเป้าหมายที่กำหนด | และได้รับความร่วมมือจากภาคีเครือข่ายเป็นอย่างดี
    ทั้งนี้ได้รายงานผลให้สำนักยุทธศาสตร์และประเมินผลทราบแล้ว
    และอยู่ระหว่างการติดตามผลการดำเนินการของหน่วยงานที่เกี่ยวข้อง
    โดยให้ความสำคัญกับการมีส่วนร่วมของประชาชนในทุกขั้นตอน
    เพื่อเตรียมจัดประชุมค้นหาความต้องการและจัดทำโครงการพัฒนาพื้นที่ต่อไป
    แต่ด้วยสถานการณ์การแพร่ระบาดของโรคจึงต้องปรับลดจำนวนผู้เข้าร่วม
    ตามแนวทางและปฏิทินการดำเนินงานที่ปลัดกรุงเทพมหานครให้ความเห็นชอบ
    โดยจัดส่งเอกสารหลักฐานให้หน่วยงานต้นสังกัดตรวจสอบเรียบร้อยแล้ว
    และนำข้อเสนอแนะที่ได้ไปปรับปรุงการดำเนินงานในระยะต่อไป
    ส่งผลให้ประชาชนในพื้นที่ได้รับบริการที่สะดวกและรวดเร็วยิ่งขึ้น
    ร่วมกับอาสาสมัครสาธารณสุขกรุงเทพมหานครและชมรมผู้สูงอายุ
    โดยใช้งบประมาณตามข้อบัญญัติงบประมาณรายจ่ายประจำปี | อย่างเป็นรูปธรรมและต่อเนื่อง
    ผ่านระบบการประชุมทางไกลผ่านจอภาพ | ก่อนเข้าสู่ฤดูฝน
    และจัดทำรายงานสรุปผลเสนอผู้อำนวยการสำนักงานเขต""")
# Characters the exporter lost print as ``?`` (curly quotes, dashes).
_LOST: Final = _pool("""
    ภายใต้มาตรการป้องกันการแพร่ระบาดของโรคโควิด ? 19
    ในหัวข้อ ?บทบาทหน้าที่และอำนาจของสภากรุงเทพมหานคร?""")
_COUNTED: Final = _words("คน ราย ชุมชน แห่ง ครั้ง โรงเรียน ครัวเรือน เครือข่าย จุด")
_DEFINITIONS: Final = _pool("""
    เครือข่ายประชาสังคม หมายถึง เครือข่ายในระดับเขต โดยสมาชิกประกอบด้วยผู้แทนจากกลุ่มประชาสังคมในพื้นที่
    ชุมชน หมายถึง ชุมชนตามระเบียบกรุงเทพมหานคร ว่าด้วยชุมชนและกรรมการชุมชน พ.ศ. 2555
    จุดเสี่ยง หมายถึง บริเวณในพื้นที่เขตที่เกิดเหตุซ้ำไม่น้อยกว่า 3 ครั้งต่อปี ตามข้อมูลของหน่วยงานในพื้นที่
    การปรับปรุง หมายถึง การปลูกต้นไม้ ติดตั้งม้านั่ง ไฟส่องสว่าง และทางเดิน
    ผู้ใช้บริการ หมายถึง ประชาชนที่มาติดต่อราชการกับสำนักงานเขตในช่วงเวลาที่สำรวจ
    ระดับความสำเร็จ แบ่งเป็น 5 ระดับ ตามขั้นตอนการดำเนินงานที่กำหนดในวิธีการคำนวณ
    การมีส่วนร่วมของประชาชน หมายถึง การที่กลุ่มประชาชนร่วมกันคิด ร่วมกันกำหนดแนวทาง และร่วมกันติดตามผล""")
_CALCULATIONS: Final = _pool("""
    (จำนวนที่ดำเนินการแล้วเสร็จ x 100) / จำนวนทั้งหมดในพื้นที่เขต | ผลการดำเนินงานที่ทำได้ตามเกณฑ์ที่กำหนด
    นับจำนวนที่ดำเนินการแล้วเสร็จและเปิดให้ประชาชนใช้บริการ
    ระดับ 1 จัดทำแผนการดำเนินงาน ระดับ 2 ดำเนินการตามแผน ระดับ 3 ติดตามผล
    ระดับ 4 ประเมินผลการดำเนินงาน ระดับ 5 นำผลการประเมินไปปรับปรุงการดำเนินงาน""")
_SOURCES: Final = _pool("""
    1. เอกสารประกอบการดำเนินการ 2. ระบบการบริหารจัดการแผนพัฒนากรุงเทพมหานคร (BMA digitalplans)
    รายงานผลการปฏิบัติงานของฝ่ายที่รับผิดชอบ สำนักงานเขต | แบบสำรวจความพึงพอใจผู้ใช้บริการ ณ จุดให้บริการ""")
_SUPPORT: Final = _pool("""
    ผู้บริหารให้ความสำคัญ และเจ้าหน้าที่มีความพร้อมในการให้บริการ | ความร่วมมือจากชุมชนและภาคเอกชนในพื้นที่
    เจ้าหน้าที่มีความตั้งใจในการปฏิบัติงานให้เป็นไปตามเป้าหมายที่กำหนด | สมาชิกเครือข่ายประชาสังคม""")
_OBSTACLES: Final = _pool("""
    สถานการณ์การแพร่ระบาดของโรคโควิด-19 ทำให้การจัดกิจกรรมไม่เป็นไปตามแผนที่กำหนด
    อัตรากำลังเจ้าหน้าที่ในบางฝ่ายไม่เพียงพอ | ฝนตกต่อเนื่องทำให้งานภาคสนามล่าช้า | -""")
_EVIDENCE: Final = _pool("""
    แบบรายงาน | ภาพถ่ายกิจกรรม | รายงานการประชุมคณะทำงาน | แนวทางในการสร้างกระบวนการมีส่วนร่วมฯ
    แบบสอบถาม | สรุปผลจากแบบสอบถาม | บัญชีรายชื่อผู้เข้าร่วมกิจกรรม""")
_QUALIFIERS: Final = ("ของประชาชนที่ทำการสำรวจ", "ของผู้สูงอายุที่ลงทะเบียน", "ของชุมชนทั้งหมด")
_PROJECTS: Final = _pool("""
    กิจกรรมการก่อสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาเมือง
    โครงการอบรมอาสาสมัครป้องกันอัคคีภัยในชุมชน | โครงการฟื้นฟูคุณภาพน้ำและปรับปรุงภูมิทัศน์คลอง
    โครงการสำรวจและปรับปรุงข้อมูลที่ดินและสิ่งปลูกสร้างเพื่อการจัดเก็บภาษี
    โครงการดูแลผู้สูงอายุที่มีภาวะพึ่งพิงโดยอาสาสมัครบริบาลในชุมชน
    โครงการส่งเสริมการคัดแยกขยะมูลฝอยต้นทางในชุมชน""")
_OBJECTIVES: Final = _pool("""
    เพื่อต่อยอดการพัฒนาเชิงพื้นที่ที่เกิดจากการรับฟังความคิดเห็นจากประชาชน
    เพื่อให้สามารถขับเคลื่อนยุทธศาสตร์เชิงพื้นที่ได้อย่างเป็นรูปธรรม
    เพื่อให้อาสาสมัครในชุมชนมีความรู้ในการป้องกันและระงับเหตุเบื้องต้น
    เพื่อสร้างเครือข่ายการทำงานระหว่างสำนักงานเขต ศูนย์บริการสาธารณสุข และชุมชน
    เพื่อเพิ่มประสิทธิภาพการให้บริการประชาชนของสำนักงานเขต""")
_AGENCIES: Final = _pool("""
    สำนักยุทธศาสตร์และประเมินผล / กองยุทธศาสตร์บริหารจัดการ / กลุ่มงานยุทธศาสตร์บริหารจัดการ
    สำนักการระบายน้ำ / สำนักงานจัดการคุณภาพน้ำ / กลุ่มงานฟื้นฟูคุณภาพน้ำคลอง
    สำนักการคลัง / กองรายได้ / กลุ่มงานพัฒนาระบบการจัดเก็บภาษี
    สำนักอนามัย / กองสร้างเสริมสุขภาพ / กลุ่มงานส่งเสริมสุขภาพผู้สูงอายุ""")
_FIRST_NAMES: Final = _words("สมชาย วิไลวรรณ กมลชนก ธีรวัฒน์ ปิยะพงษ์ อรอุมา สุนันทา ชยพล ศิริพร อนุชา")
_LAST_NAMES: Final = _words("ใจดี ทองคำ ศรีสวัสดิ์ บุญประเสริฐ แก้วมณี เพชรรัตน์ วงศ์ไทย อินทรสุวรรณ")
# (cumulative probability, plan status, target status) of a progress report.
_STATUSES: Final = (
    (0.70, "เป็นไปตามแผน", "เป็นไปตามเป้าหมาย"),
    (0.82, "เป็นไปตามแผน", "แต่ควรติดตามเป็นไปตามเป้าหมาย"),
    (0.90, "เป็นไปตามแผนแต่ควรติดตามเป็นปกติตามเป้าหมาย", None),
    (1.00, "ล่าช้ากว่าแผน", "เป็นไปตามเป้าหมาย"),
)


@dataclass(frozen=True)
class SynthDoc:
    """One generated file: relative name, bytes, the truth of its records, its layout."""

    name: str
    data: bytes
    truth: list[dict[str, Any]]
    layout: str


class _Cut(Exception):
    """The file is cut here: rendering stops."""


def _money(satang: int) -> tuple[str, str]:
    """Money as printed (``1,180,500.50``) and as the truth writes it (``1180500.50``)."""
    baht, cents = divmod(satang, 100)
    tail = f".{cents:02d}" if cents else ""
    return f"{baht:,}{tail}", f"{baht}{tail}"


def _hundredths(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _thai(text: str) -> str:
    """Arabic digits -> Thai ones (ten ``replace`` are 10 times faster than ``translate``)."""
    for arabic, thai in _THAI_DIGITS:
        text = text.replace(arabic, thai)
    return text


class _Doc:
    """One document being written: its lines, the per-document choices, the renderers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []
        self.thai = rng.random() < QUIRKS["thai_digits"]
        self.lost = rng.random() < QUIRKS["lost_character"]
        self.banner = _A_BANNER.format(rng.choice(("ราชการ", "การ")))
        self.cut: tuple[Truth, str] | None = None  # the truth entry and key of the cut text

    # -- writing and choosing ----------------------------------------------------------------

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def para(self, *lines: str) -> None:
        """Lines, each followed by a blank line (the printed paragraph spacing)."""
        for line in lines:
            self.lines.extend((line, ""))

    def chance(self, quirk: str) -> bool:
        return self.rng.random() < QUIRKS[quirk]

    def between(self, low: int, high: int) -> int:
        """``randint`` without its overhead (the hot path of a generator that must be fast)."""
        return low + int(self.rng.random() * (high - low + 1))

    def digits(self, text: str) -> str:
        """``text``, in Thai digits for half the values of a Thai-digit document."""
        return _thai(text) if self.thai and self.rng.random() < 0.5 else text

    def page_break(self) -> None:
        self.add(*[""] * self.between(3, 4), self.banner, "")

    def footer(self, certify: bool = False) -> None:
        if self.chance("footer"):
            self.add(*(_CERTIFY, "") * certify, *_FOOTER)

    # -- text --------------------------------------------------------------------------------

    def date_phrase(self, day: dt.date) -> str:
        rng, year, month = self.rng, day.year + 543, day.month - 1
        form = rng.random()
        if form < 0.4:
            return f"{rng.choice(('เมื่อวันที่', 'ลงวันที่', 'ณ วันที่'))} {day.day} {_MONTHS[month]} {year}"
        if form < 0.75:
            return f"{rng.choice(('เมื่อวันที่', 'ลว.'))} {day.day} {_ABBREVIATED[month]} {year}"
        if form < 0.9:
            return f"ในวัน{_WEEKDAYS[day.weekday()]}ที่ {day.day} {_MONTHS[month]} {year}"
        return f"ในเดือน{_MONTHS[month]} {year}"

    def day_in(self, fy: int, quarter: int) -> dt.date:
        """A day of quarter ``quarter`` (1 = October-December) of fiscal year ``fy`` (BE)."""
        year, month = (fy - 544, 10) if quarter == 1 else (fy - 543, 3 * quarter - 5)
        month += int(self.rng.random() * 3)
        days = _MONTH_DAYS[month - 1] + (month == 2 and year % 4 == 0)
        return dt.date(year, month, 1 + int(self.rng.random() * days))

    def paragraph(self, fy: int, quarter: int, least: int, most: int) -> str:
        """A narrative paragraph in Arabic digits, its dates inside the fiscal quarter."""
        rng, between, rnd = self.rng, self.between, self.rng.random
        parts = [_OPENERS[int(rnd() * len(_OPENERS))]]
        for clause in rng.choices(_CLAUSES, k=between(least, most)):
            kind = rnd()
            if kind >= 0.4:  # most clauses: a phrase of the pool
                parts.append(rng.choice(_LOST) if kind > 0.93 and self.lost else clause)
            elif kind < 0.15:
                parts.append(f"จำนวน {between(2, 250)} {_COUNTED[int(rnd() * len(_COUNTED))]}")
            elif kind < 0.22:
                parts.append(f"คิดเป็นร้อยละ {between(10, 99)}.{between(0, 99):02d}")
            elif kind < 0.28:
                parts.append(f"ตามหนังสือที่ กท {between(100, 999):04d}/{between(10, 999)}")
            else:
                parts.append(self.date_phrase(self.day_in(fy, quarter)))
                if kind > 0.38:
                    parts.append("เวลา 08.30 - 16.30 น.")
        return " ".join(parts)

    def narrative(self, fy: int, quarter: int, most: int, clauses: int) -> tuple[list[str], int]:
        """Paragraphs of one quarter; quarter 1 starts with a date, whose length is returned."""
        count = self.between(max(1, most - 2), most)
        paras = [self.paragraph(fy, quarter, 3, clauses) for _ in range(count)]
        if count > 2 and self.chance("numbered"):  # an intro, then ``1. ...``, ``2. ...``
            paras[1:] = [f"{number}. {text}" for number, text in enumerate(paras[1:], start=1)]
        if quarter != 1:
            return paras, 0
        lead = self.date_phrase(self.day_in(fy, 1))
        paras[0] = f"{lead} {paras[0]}"
        return paras, len(lead)

    def cut_text(self, text: str, after: int) -> str:
        """``text`` cut after a Thai consonant, no digit in the 25 characters before the cut."""
        places = [
            i
            for i in range(max(after + 1, 12), len(text))
            if "ก" <= text[i - 1] <= "ฮ" and not _DIGIT_RE.search(text, max(0, i - 25), i)
        ]
        return text[: self.rng.choice(places)] if places else text

    def paras(
        self,
        paras: list[str],
        entry: Truth,
        key: str,
        *,
        prefix: str = "",
        cut: bool = False,
        banner_at: int = 0,
        after: int = 0,
    ) -> None:
        """Paragraphs, the first after ``prefix`` on its line; ``entry[key]`` = their text."""
        cut_at = self.rng.randrange(len(paras)) if cut else -1
        for i, whole in enumerate(paras):
            if i and i == banner_at:
                self.page_break()
            text = self.cut_text(whole, after if i == 0 else 0) if i == cut_at else whole
            line = self.digits(text)
            self.add(f"{prefix} {line}" if i == 0 and prefix else line)
            if i == cut_at:
                entry[key] = "\n".join([*paras[:i], text])
                self.cut = (entry, key)
                raise _Cut
            self.add("")
        entry[key] = "\n".join(paras) or None

    # -- values and strategy -----------------------------------------------------------------

    def values(self, unit: str) -> tuple[str | None, int, int]:
        """Comparator, target (whole) and achieved (hundredths) of a KPI measured in ``unit``."""
        rng = self.rng
        if unit == "ร้อยละ":
            target = rng.choice((60, 70, 75, 80, 85, 90, 95, 100))
            return rng.choice((None, ">=")), target, rng.randint(target * 50, 10000)
        if unit == "ระดับ":
            return None, 5, rng.randint(1, 5) * 100
        if unit == "ครั้ง":
            target = rng.randint(1, 5)
            return "<=", target, rng.randint(0, target + 2) * 100
        target = rng.randint(1, 20)
        return None, target, rng.randint(max(0, target - 3), target + 3) * 100

    def strategy(self, heads: Sequence[str], dash: str) -> tuple[list[Truth], list[str]]:
        """Strategy levels (truth) and their lines, each after its head; level 3 maybe cut."""
        number = self.between(1, 7)
        title, english = _DIMENSIONS[number - 1].split(" : ")
        levels: list[Truth] = [
            {"level": 1, "code": str(number), "title": title, "title_en": english}
        ]
        for depth in range(2, len(heads) + 1):
            code = f"{levels[-1]['code']}.{self.between(1, 6)}"
            title = self.rng.choice(_GOALS[depth - 2])
            levels.append({"level": depth, "code": code, "title": title, "title_en": None})
        lines, thai = [], self.chance("thai_strategy_codes")
        for level, head in zip(levels, heads, strict=True):
            code = _thai(level["code"]) if thai else level["code"]
            title = level["title"]
            if level["level"] == 3 and self.chance("title_cut"):  # the exporter cut it: ``ง%``
                places = [i for i in range(10, len(title)) if "ก" <= title[i - 1] <= "ฮ"]
                level["title"] = title = title[: self.rng.choice(places)]
                title += "%"
            body = {1: f"ด้านที่ {code} {dash}{title} : {english}", 2: f"{code} - {title}"}
            lines.append(head + body.get(level["level"], f"{code} {title}"))
        return levels, lines

    def kpi(self, district_share: float) -> tuple[str, str]:
        name, unit = self.rng.choice(_KPIS).split(" : ")
        if unit != "ระดับ" and self.rng.random() < district_share:
            name += f"ในพื้นที่เขต{self.rng.choice(_DISTRICTS)}"
        return name, unit

    # -- layout A: KPI result form -----------------------------------------------------------

    def kpi_result(self, rec: Truth, fy: int, cut: bool) -> None:
        rng = self.rng
        gap = ("",) if rng.random() < 0.5 else ()
        name, unit = self.kpi(0.4)
        prefix = None
        if self.chance("name_prefix"):
            numbers = (self.between(1, 9), self.between(1, 5))
            prefix = rng.choice(("อ.{}/{}", "(เจรจา{}.{})")).format(*numbers)
        rec.update(layout="kpi_result", line_start=len(self.lines) + 1, fiscal_year_be=fy)
        rec.update(kpi_name=name, kpi_name_prefix=prefix, kpi_level=None)
        title = ("1. ชื่อตัวชี้วัด :", f"{prefix or ''}{name}")
        self.add(*(title if rng.random() < 0.3 else [" ".join(title)]), *gap)
        self.add("2. ระดับความสำเร็จ : ผลผลิต (Output) ผลลัพธ์ (Outcome)", *gap, f"**** {_PLAN}**", *gap)
        labels = (rng.choice(("ประเด็นยุทธศาสตร์", "ประเด็นยุทธฯ")), "----- ย่อย", "เป้าประสงค์ที่")
        if self.chance("routine_work"):
            rec.update(strategy=[], routine_work=True)
            lines = [f"{label} : {_ROUTINE}" for label in labels]
        else:
            levels, lines = self.strategy([f"{label} : " for label in labels], "- ")
            rec.update(strategy=levels, routine_work=False)
        for line in lines:
            self.add(line, *gap)
        heading = rng.choice(("คำนียาม", "คำนยาม")) if self.chance("misspelt_heading") else "คำนิยาม"
        lines = [self.digits(line) for line in rng.sample(_DEFINITIONS, self.between(1, 3))]
        if rng.random() < 0.3:  # the words วิธีคำนวณ inside section 3 are not section 4
            lines.append(f"วิธีคำนวณ {rng.choice(_CALCULATIONS)}")
        self.add(*("",) * (not gap), f"3. {heading} :", *gap, f":: {lines[0]}", *lines[1:], "")
        lines = rng.sample(_CALCULATIONS, self.between(1, 2))
        self.add("4. วิธีการคำนวณ :", *gap, f":: {lines[0]}", *lines[1:], "")
        comparator, target, achieved = self.values(unit)
        shown = self.digits(str(target))
        printed = {">=": f"ไม่น้อยกว่า {shown} ({unit})", "<=": f"ไม่เกิน {shown} ({unit})"}
        line = printed.get(comparator or "", f"{shown} ({unit})")
        if comparator is None and unit == "ร้อยละ" and rng.random() < 0.3:
            line = f"ร้อยละ : {shown} {rng.choice(_QUALIFIERS)}"  # unit first, qualifier after
        self.para(
            f"5. เป้าหมาย : {line}", f": ผลงานที่ทำได้ = {self.digits(_hundredths(achieved))} ({unit})"
        )
        rec["target"] = {"value": str(target), "unit": unit, "comparator": comparator}
        rec["achieved"] = {"value": _hundredths(achieved), "unit": unit, "comparator": None}
        self.para("6. รายงานผลการดำเนินงาน (รายไตรมาส) :")
        self.a_quarters(rec, fy, rng.randint(2, 4) if cut else 0)
        self.a_closing(rec, fy)

    def a_quarters(self, rec: Truth, fy: int, cut_quarter: int) -> None:
        rng = self.rng
        rec["quarters"] = quarters = []
        for quarter in range(1, 5):
            entry: Truth = dict.fromkeys(("result", "score", "score_2_1", "score_2_2"))
            entry["quarter"] = quarter
            quarters.append(entry)
            head, kind = f"(6.{quarter}) ไตรมาสที่ {quarter} :", rng.random()
            if quarter > 1 and quarter != cut_quarter and kind < 0.08:  # nothing reported
                self.add(head if kind < 0.04 else f"{head} -", *("",) * (kind > 0.015))
                entry["narrative"] = None
                continue
            paras, after = self.narrative(fy, quarter, 4 if quarter == 4 else 3, 5)
            inline = rng.random() < 0.7
            if not inline:
                self.para(head)
            banner = self.chance("banner_in_q4" if quarter == 4 else "banner_in_quarter")
            at = rng.randrange(1, len(paras)) if banner and len(paras) > 1 else 0
            cut = quarter == cut_quarter
            self.paras(
                paras, entry, "narrative", prefix=head * inline, cut=cut, banner_at=at, after=after
            )

    def a_closing(self, rec: Truth, fy: int) -> None:
        rng = self.rng
        self.para("(6.5) สรุปผลการดำเนินงาน (ปลายปีงบประมาณ) :")
        summary = [self.paragraph(fy, 4, 1, 3) for _ in range(self.between(1, 3))]
        self.para(*([f":: {summary[0]}", *summary[1:]] if rng.random() < 0.7 else ["::"]))
        rec["evidence"] = evidence = rng.sample(_EVIDENCE, self.between(1, 4))
        bullet = "- " * (rng.random() < 0.5)
        for heading, (first, *rest) in (
            ("7. ปัจจัยสนับสนุนการดำเนินงาน :", rng.sample(_SUPPORT, self.between(1, 3))),
            ("8. อุปสรรคต่อการดำเนินงาน :", [rng.choice(_OBSTACLES)]),
            ("9. หลักฐานอ้างอิง :", [f"{bullet}{item}" for item in evidence]),
        ):
            self.para(heading, f":: {first}", *rest)
        if rng.random() < 0.5:
            self.add("", "", self.banner, "")
        self.footer()

    # -- layout B: KPI detail page -----------------------------------------------------------

    def kpi_detail(self, rec: Truth, fy: int, cut: bool) -> None:
        rng = self.rng
        name, unit = self.kpi(0.5)
        label = "เครือข่าย/สำนักงานเขต" if unit == "เครือข่าย" else unit
        agency = self.between(5001, 5050) if rng.random() < 0.6 else self.between(10, 25) * 100
        serial = (
            f"{self.between(1, 1999):04d}" if rng.random() < 0.8 else str(self.between(100, 999))
        )
        code, level = f"{agency}-{serial}", rng.choice(("output", "outcome"))
        comparator, target, achieved = self.values(unit)
        decimals = unit in ("ร้อยละ", "ระดับ")
        shown_target = f"{target}.0000" if decimals else str(target)
        shown_achieved = f"{_hundredths(achieved)}00" if decimals else str(achieved // 100)
        rec.update(layout="kpi_detail", line_start=len(self.lines) + 1, fiscal_year_be=fy)
        rec.update(kpi_code=code, kpi_name=name, kpi_level=level)
        rec["target"] = {"value": shown_target, "unit": label, "comparator": comparator}
        rec["achieved"] = {"value": shown_achieved, "unit": label, "comparator": None}
        self.para("รายละเอียดตัวชี้วัด", *["Back Home"] * self.chance("navigation"), f"{name} : {code}")
        worded = {">=": f"ไม่น้อยกว่า ({label})", "<=": f"ไม่เกิน ({label})"}.get(
            comparator or "", label
        )
        colon = rng.choice((" : ", " : ", ": ", " :"))
        self.para(f"ค่าเป้าหมาย {worded}{colon}{self.digits(shown_target)}")
        self.para(f"ผลงานที่ทำได้ {label}{colon}{self.digits(shown_achieved)}")
        kind = "ผลผลิต (output)" if level == "output" else "ผลลัพธ์ (outcome)"
        self.add(f"ประเภทตัวชี้วัด{rng.choice((' : ', ': '))}ตัวชี้วัดเชิงยุทธศาสตร์")
        self.para(f"(ตัวชี้วัดระดับ{kind})", *["0"] * self.chance("stray_zero"))
        self.para(*["รายละเอียดตัวชี้วัดฯ : พิมพ์ข้อมูล"] * self.chance("navigation"))
        last = self.between(1, 3) if self.chance("mid_year") else 4
        self.b_table(rec, unit, label, achieved, last)
        self.b_narratives(rec, fy, last, cut)
        self.b_closing(rec)

    def b_table(self, rec: Truth, unit: str, label: str, achieved: int, last: int) -> None:
        rng = self.rng
        five = rng.random() < 0.6  # scores out of 5 ("4.5000") or out of 100 ("100")
        rows: list[Truth] = []
        for quarter in range(1, 5):
            score, pair = ("0.0000" if five else "0"), "0 / 0"
            result = "0.00"  # printed for quarters not reported yet
            if quarter <= last:
                whole = unit != "ร้อยละ"
                result = _hundredths(achieved * quarter // last // (100**whole) * (100**whole))
                pair = rng.choice(("100 / 100", "0 / 0", "50 / 100", "100 / 0"))
                scores = (
                    ("1.0000", "2.5000", "3.0000", "4.5000", "5.0000")
                    if five
                    else ("100", "0", "50")
                )
                score = rng.choice(scores)
            first, second = pair.split(" / ")
            rows.append({"quarter": quarter, "result": result, "score": score})
            rows[-1].update(score_2_1=first, score_2_2=second)
        assessed = last if rng.random() < 0.8 else self.between(1, last)
        given = rows[assessed - 1]["score"] if rng.random() < 0.85 else None  # or left blank
        form = rng.choice((" : ไตรมาสที่ {}: {}", " : ไตรมาสที่ {} : {}", " :ไตรมาสที่ {} :{}"))
        line = "*** สยป. ตรวจประเมินตัวชี้วัด" + form.format(assessed, self.digits(given or ""))
        self.para(line.rstrip())
        rec["assessment"] = {"quarter": assessed, "score": given}
        rec["quarters"] = []
        if self.chance("table_lost"):
            return
        self.para("ผลงานเทียบกับเป้าหมายรายไตรมาส")
        self.add(*(line.format(label) for line in _TABLE_HEAD))
        for row in rows:
            pair = f"{row['score_2_1']} / {row['score_2_2']}"
            self.add(
                str(row["quarter"]), self.digits(row["result"]), self.digits(row["score"]), pair
            )
        self.add("")
        rec["quarters"] = rows

    def b_narratives(self, rec: Truth, fy: int, last: int, cut: bool) -> None:
        rng = self.rng
        rows = {row["quarter"]: row for row in rec["quarters"]}
        told = [q for q in range(1, 5) if q == 1 or (q <= last and rng.random() > 0.1)]
        cut_quarter = rng.choice(told) if cut else 0
        for quarter in range(1, 5):
            self.para(f"รายงานผลฯ ไตรมาสที่ {quarter}")
            entry = rows.get(quarter)
            if entry is None:  # the table was lost: quarters come from the narratives
                entry = dict.fromkeys(("result", "score", "score_2_1", "score_2_2"))
                entry["quarter"] = quarter
                rec["quarters"].append(entry)
            if quarter not in told:
                self.para("-")
                entry["narrative"] = None
                continue
            paras, after = self.narrative(fy, quarter, 5 - len(told), 9)
            self.paras(paras, entry, "narrative", cut=quarter == cut_quarter, after=after)

    def b_closing(self, rec: Truth) -> None:
        rng = self.rng
        self.para("** สรุปผลการดำเนินงาน **", "นิยาม หรือความหมายของตัวชี้วัด")
        self.para(
            self.digits(" ".join(rng.sample(_DEFINITIONS, 3))), "วิธีการคำนวณ หรือ เกณฑ์การประเมิน"
        )
        self.para(rng.choice(_CALCULATIONS), "วิธีการการเก็บข้อมูล/แหล่งข้อมูล", rng.choice(_SOURCES))
        words = ("", "มิติที่ ", "เป้าหมายที่ ", "เป้าประสงค์ที่ ") if rng.random() < 0.5 else ("",) * 4
        rec["strategy"], lines = self.strategy([f":{word}" for word in words], "- ")
        self.para("สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ")
        self.add(*lines, "")
        self.para("โครงการ/กิจกรรมที่สนับสนุนตัวชี้วัด")
        self.para(*[rng.choice(_PROJECTS)] * (rng.random() < 0.4))
        self.add(*["ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง"] * self.chance("navigation"))

    # -- layout C: project progress report ---------------------------------------------------

    def project(self, rec: Truth, fy: int, cut: bool) -> None:
        rng, between = self.rng, self.between
        district = rng.choice(_DISTRICTS)
        name = rng.choice(_PROJECTS) + f" พื้นที่เขต{district}" * (rng.random() < 0.4)
        office = rng.random() < 0.5  # a district office (50xx) or a department
        agency = between(5001, 5050) * 10000 if office else between(1, 25) * 10**6
        code = f"{agency:08d}-{between(1, 9999):04d}"
        start = dt.date(fy - 544, 10, 1) + dt.timedelta(days=rng.choice((0, 0, 31, 61)))
        end = dt.date(fy - 543, 9, 30) - dt.timedelta(days=rng.choice((0, 0, 30)))
        spent = [between(0, 4000) * 2500 + rng.choice((0, 0, 0, 25, 50)) for _ in range(12)]
        spent = spent if rng.random() < 0.85 else [0] * 12
        received = (sum(spent) // 10**6 + between(1, 3)) * 10**6 if any(spent) else 0
        path = f"สำนักงานเขต{district} / ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม / กลุ่มงานพัฒนาชุมชน"
        path = path if office else rng.choice(_AGENCIES)
        people = [f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}" for _ in "ab"]
        phones = [str(between(1000, 9999)) for _ in "ab"]
        count = between(3, 12)
        shown_received, received_truth = _money(received)
        shown_used, used_truth = _money(sum(spent[:count]))
        rec.update(layout="project_progress", line_start=len(self.lines) + 1, fiscal_year_be=fy)
        rec.update(project_code=code, project_name=name, start_date=str(start), end_date=str(end))
        rec.update(
            budget_received=received_truth, budget_used=used_truth, agency_path=path.split(" / ")
        )
        rec.update(responsible_person=people[0], responsible_phone=phones[0])
        rec.update(coordinator=people[1], coordinator_phone=phones[1])
        self.para("1. ชื่อโครงการและหน่วยงานที่รับผิดชอบโครงการ", "1.1 รหัสโครงการและชื่อโครงการ")
        self.para(f"ชื่อโครงการ/กิจกรรม : {name}", f"รหัสโครงการ... : {code}", f"ปีงบประมาณ พ.ศ. : {fy}")
        self.para(f"เริ่มต้นโครงการ : {start} 00:00:00", f"งบประมาณที่ได้รับ : {shown_received} บาท")
        self.para(f"สิ้นสุดโครงการ : {end} 00:00:00", f"งบประมาณที่ใช้ไป : {shown_used} บาท")
        self.para("1.2 หน่วยงานที่รับผิดชอบ", f"หน่วยงานที่รับผิดชอบ. : {path}")
        self.para(
            f"ชื่อผู้รับผิดชอบ... : {people[0]} {phones[0]}", f"ผู้ประสานงาน สยป : {people[1]} {phones[1]}"
        )
        rationale = [" ".join(rng.sample(_CLAUSES, between(3, 7))) for _ in range(between(1, 3))]
        rec["objectives"] = objectives = rng.sample(_OBJECTIVES, between(2, 4))
        self.para("1.3 หลักการและเหตุผล", *rationale, "1.4 วัตถุประสงค์ของโครงการ")
        self.para(*(f"{number}. {text}" for number, text in enumerate(objectives, start=1)))
        target = f"ผู้ได้รับประโยชน์ไม่น้อยกว่า {between(1, 90) * 50:,} คน ใน {between(3, 60)} ชุมชน"
        self.para("1.5 เป้าหมายของโครงการ..", target, f"1.6 {_PLAN}")
        heads = ("ประเด็นยุทธศาสตร์ : ", "ประเด็นยุทธศาสตร์ย่อย : ", "เป้าหมายที่ : ")
        rec["strategy"], lines = self.strategy(heads, "-")
        self.para(*lines, f"ตัวชี้วัด... : {self.kpi(0)[0]}")
        self.para("2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ")
        self.add("| | | | |", "|-----------------|--|---|---------------------|")
        span = (end - start).days + 1  # one report in each of ``count`` equal stretches
        days = [int((i + rng.random()) * span / count) for i in range(count)]
        self.c_reports(rec, fy, [start + dt.timedelta(days=d) for d in days], spent, cut)
        self.footer(certify=True)

    def c_reports(
        self, rec: Truth, fy: int, days: list[dt.date], spent: list[int], cut: bool
    ) -> None:
        rng, count = self.rng, len(days)
        in_table = self.between(1, count - 1) if cut or self.chance("c_page_break") else count
        cut_at = self.between(in_table, count - 1) if cut else -1
        progress = sorted(rng.sample(range(1, 101), count))
        rec["progress_reports"] = reports = []
        for i, day in enumerate(days):
            number, quarter = i + 1, (day.month - 10) % 12 // 3 + 1
            printed = self.digits(f"{day.day:02d}/{day.month:02d}/{day.year + 543}")
            pct = (
                f"{progress[i]}.{rng.choice(('00', '00', '50'))}" if progress[i] < 100 else "100.00"
            )
            shown_spent, spent_truth = _money(spent[i])
            plan, goal = next((p, g) for share, p, g in _STATUSES if rng.random() < share)
            entry: Truth = {"no": number}
            reports.append(entry)
            done: Truth = {"date": str(day), "progress_pct": pct, "budget_spent": spent_truth}
            done.update(plan_status=plan, target_status=goal)
            line = (
                f":: ความก้าวหน้าของงานฯ = {pct} % งบประมาณที่เบิกใช้ (ครั้งที่ {number}) = {shown_spent} บาท"
            )
            if i < in_table:  # a row of the | table: its two lines
                text = self.digits(self.paragraph(fy, quarter, 1, 3))
                self.add(f"| รายงานครั้งที่{number} | :: {printed} : {text} | | |")
                self.add(f"| | {line} | : {plan} | {f': {goal} ' if goal else ''}|")
                entry.update(done)
                continue
            if i == in_table:  # the page break: the table goes on as plain lines
                self.add(*[""] * 5, f"รายงานครั้งที่ {number}", *[""] * 5, _C_BANNER, "")
            else:
                self.para(f"รายงานครั้งที่{number}")
            paras = [self.paragraph(fy, quarter, 2, 5) for _ in range(self.between(1, 3))]
            if self.chance("numbered"):
                paras = [f"{number}. {text}" for number, text in enumerate(paras, start=1)]
            inline = i != cut_at and rng.random() < 0.4
            self.para(
                f":: {printed} : {self.digits(paras.pop(0))}" if inline else f":: {printed} :"
            )
            entry["date"] = str(day)
            self.paras(paras, {}, "text", cut=i == cut_at)
            self.para(line, f": {plan}")
            if goal:
                colon = "" if goal.startswith("แต่ควร") or rng.random() < 0.2 else ": "
                self.para(f"{colon}{goal}")
            entry.update(done)
        self.add(*[""] * (in_table == count))


def _document(rng: random.Random, index: int) -> SynthDoc:
    """Render one document (layout, records, quirks) from ``rng``."""
    pick = rng.random()
    shares = zip(LAYOUT_MIX, accumulate(LAYOUT_MIX.values()), strict=True)
    layout = next((name for name, upto in shares if pick < upto), "project_progress")
    doc = _Doc(rng)
    fiscal_year = doc.between(2560, 2567)
    several = layout != "project_progress" and doc.chance("multi_record")
    count = doc.between(2, 3) if several else 1
    cut = doc.chance("truncated")
    truth: list[Truth] = []
    ending = "\n" if layout != "kpi_detail" or rng.random() < 0.5 else ""
    try:
        for i in range(count):
            rec: Truth = {}
            truth.append(rec)
            last = cut and i == count - 1
            if layout == "kpi_result":
                if i or rng.random() < 0.6:  # a page header before the record
                    doc.add(*[""] * (3 if i else 4), doc.banner, "")
                else:
                    doc.add("", "")
                doc.kpi_result(rec, fiscal_year, last)
            elif layout == "kpi_detail":
                doc.add(*[""] * bool(i))
                year = fiscal_year if rng.random() < 0.7 else doc.between(2560, 2567)
                doc.kpi_detail(rec, year, last)
            else:
                doc.add(*[""] * rng.choice((2, 4)), _C_BANNER, "")
                doc.project(rec, fiscal_year, last)
    except _Cut:
        truth[-1]["truncated"] = True
        ending = ""
    text = "\n".join(doc.lines) + ending
    if doc.chance("crlf"):
        text = text.replace("\n", "\r\n")
    cp874 = doc.chance("cp874")
    data = text.encode("cp874" if cp874 else "utf-8")
    if doc.cut and not cp874 and doc.chance("cut_in_character"):  # 1-2 of its 3 bytes kept
        data = data[: -doc.between(1, 2)]
        entry, key = doc.cut  # the parser drops the partial character
        entry[key] = entry[key][:-1].rstrip()
    return SynthDoc(f"{layout}/{index:08d}.txt", data, truth, layout)


def generate(n: int, seed: int = 0) -> Iterator[SynthDoc]:
    """``n`` documents; the same ``(n, seed)`` always gives the same bytes and truth.

    Layouts about 40 % A, 40 % B, 20 % C (:data:`LAYOUT_MIX`); quirks as in :data:`QUIRKS`.
    """
    rng = random.Random(seed)
    for index in range(n):
        yield _document(rng, index)


def corpus_files(corpus: Path) -> list[Path]:
    """The dumps of a corpus :func:`write_corpus` wrote (not their truth), in name order."""
    return sorted(corpus.rglob("*.txt"))


def write_corpus(n: int, out: Path, seed: int = 0) -> int:
    """Write ``out/<name>`` and ``out/<name>.truth.json`` for ``n`` documents, one at a time.

    Returns the total bytes of the dumps written (the truth files are not counted).
    """
    total = 0
    made: set[Path] = set()
    for doc in generate(n, seed):
        path = out / doc.name
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(doc.data)
        truth = json.dumps(doc.truth, ensure_ascii=False)
        path.with_name(f"{path.name}.truth.json").write_text(f"{truth}\n", encoding="utf-8")
        total += len(doc.data)
    return total
