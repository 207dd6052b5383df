"""Writes the page images of the clients' page-set tests: three pages of a made-up report.

    .venv/bin/python clients/go/govreport/testdata/pages/make_pages.py OUT_DIR   # from the repo root

第1页.png, 第2页.jpg (a phone's JPEG among scanner PNGs) and 第3页.png: the title
and section 一 on page 1, 二 and 三 on page 2, 四 to 六 and the signature on page 3.
Text only, no tables (the server reads it as a report, with findings on the missing
tables), WenQuanYi Zen Hei at 150 dpi on A4, four grey levels to keep the files small.
The same three files are in clients/go/govreport/testdata/pages,
clients/typescript/test/data/pages and clients/java/src/test/resources/pages.
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
DPI = 150
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 130

PAGES = [
    [
        ("title", "示例县卫生健康局"),
        ("title", "2024年政府信息公开工作年度报告"),
        (
            "body",
            "本年度报告依据《中华人民共和国政府信息公开条例》的规定编制，"
            "由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
            "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、"
            "其他需要报告的事项六部分组成。本年度报告所列数据统计期限自2024年1月1日起至12月31日止。",
        ),
        ("heading", "一、总体情况"),
        (
            "body",
            "2024年，示例县卫生健康局通过政府门户网站主动公开政府信息，"
            "及时发布部门动态和卫生健康领域群众关心的信息。",
        ),
    ],
    [
        ("heading", "二、主动公开政府信息情况"),
        ("body", "本年度主动公开的政府信息均在政府门户网站发布。"),
        ("heading", "三、收到和处理政府信息公开申请情况"),
        ("body", "本年度未收到政府信息公开申请。"),
    ],
    [
        ("heading", "四、政府信息公开行政复议、行政诉讼情况"),
        ("body", "本年度无政府信息公开行政复议和行政诉讼案件。"),
        ("heading", "五、存在的主要问题及改进情况"),
        ("body", "公开内容还不够全面，下一步将加强信息公开工作。"),
        ("heading", "六、其他需要报告的事项"),
        ("body", "本年度未收取信息处理费。"),
        ("right", "示例县卫生健康局"),
        ("right", "2025年1月10日"),
    ],
]
SIZES = {"title": 40, "heading": 32, "body": 28, "right": 28}


def wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line]


def page(blocks: list[tuple[str, str]]) -> Image.Image:
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for kind, text in blocks:
        font = ImageFont.truetype(FONT, SIZES[kind])
        for line in wrap(draw, text, font, WIDTH - 2 * MARGIN):
            w = draw.textlength(line, font=font)
            x = {"title": (WIDTH - w) / 2, "right": WIDTH - MARGIN - w}.get(kind, MARGIN)
            draw.text((x, y), line, font=font, fill=0)
            y += int(SIZES[kind] * 1.8)
        y += SIZES[kind]
    # Four grey levels: antialiased edges kept, PNG small.
    return image.point(lambda v: v // 85 * 85)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for number, blocks in enumerate(PAGES, start=1):
        image = page(blocks)
        if number == 2:
            image.save(out / f"第{number}页.jpg", quality=60, dpi=(DPI, DPI))
        else:
            image.save(out / f"第{number}页.png", optimize=True, dpi=(DPI, DPI), bits=2)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
