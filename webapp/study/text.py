"""Study material's text: Markdown the author writes, rendered once and sanitised (nh3), so that
headings, paragraphs, lists and links survive and no script, style or event handler does."""
import markdown
import nh3

TAGS = {"h2", "h3", "h4", "p", "br", "ul", "ol", "li", "strong", "em", "blockquote", "a", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}
SCHEMES = {"http", "https"}


def render(source):
    """Return the author's Markdown as safe HTML: a heading of any level shows as h2–h4, raw
    HTML is kept only where it is one of the allowed tags, and every link opens safely."""
    html = markdown.markdown(source or "", extensions=["sane_lists"], output_format="html")
    # Headings one level down: the page's own title is the h1.
    for level in (4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{min(level + 1, 4)}>").replace(
            f"</h{level}>", f"</h{min(level + 1, 4)}>")
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                     link_rel="noopener noreferrer nofollow")
