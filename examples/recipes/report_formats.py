"""One report, every door: the one-line repr, the JSON document and its
round trip, the NetworkX graph, the HTML tree of notebooks and pages."""

import whyalive
from whyalive import Report


class Page:
    pass


CACHE = {"home": [Page()]}

report = whyalive.explain(CACHE["home"][0])

# the REPL's and the notebook's one line
print(repr(report))

# JSON: a document that names its schema, read back to the same text
text = report.to_json()
document = report.to_dict()
print(document["schema"], document["targets"][0]["paths"][0]["expression"])
print("round trip gives the same JSON:", Report.from_json(text).to_json() == text)

# NetworkX: objects as nodes, references referrer -> referent, labelled
graph = report.to_networkx()
for holder, held, data in graph.edges(data=True):
    what = graph.nodes[holder]
    print(f"{what['type']} -> {graph.nodes[held]['type']}  label={data['label']}")
    if what["root"]:
        print(f"  {what['type']} is held by a root: {what['root_descriptions'][0]}")

# HTML: what Jupyter shows (report._repr_html_()), or a whole page
page = report.to_html(title="pages")
roots = page.count('<span class="wa-root ')
print(page.count("<details"), "foldable entries,", roots, "root marked")
