"""The look both form dialogs share (members' and the timeline's), in one place."""

from __future__ import annotations


def form_dialog_css(cls: str, width: int) -> str:
    """CSS for a centred ModalScreen subclass named `cls` holding a VerticalScroll form."""
    return f"""
{cls} {{ align: center middle; }}
{cls} > VerticalScroll {{
    width: {width}; max-width: 100%; height: auto; max-height: 100%;
    border: thick $accent; background: $surface; padding: 0 1;
}}
{cls} Label.field {{ margin-top: 1; }}
{cls} Input {{ border: none; height: 1; background: $boost; padding: 0 1; }}
{cls} Input:focus {{ background: $primary-muted; border: none; }}
{cls} RadioSet:focus {{ border: none; background: $boost; }}
{cls} RadioSet {{ border: none; padding: 0; }}
{cls} .error {{ color: $error; height: auto; }}
{cls} .hint {{ color: $text-muted; height: auto; }}
{cls} Horizontal.buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
/* The buttons stay in view when the form is taller than the terminal (24 lines, Custom flags open). */
{cls} VerticalScroll > Horizontal.buttons {{ dock: bottom; background: $surface; }}
{cls} Horizontal.buttons Button {{ margin-left: 1; }}
{cls} RadioSet {{ layout: horizontal; width: 100%; height: auto; }}
"""
