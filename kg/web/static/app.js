/* kg serve: type-ahead search, the neighbourhood graph and the SPARQL page. Text goes into the page
   only through textContent and DOM nodes, never through innerHTML. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function json(id) { var n = document.getElementById(id); return n ? JSON.parse(n.textContent) : null; }

  // ---------------------------------------------------------------- type-ahead
  var find = document.getElementById("find"), box = document.getElementById("suggest"), timer = null, active = -1;
  function close() { box.hidden = true; box.textContent = ""; active = -1; }
  function show(hits) {
    box.textContent = "";
    active = -1;
    if (!hits.length) { close(); return; }
    hits.forEach(function (h) {
      var a = el("a", { href: "/entity/" + h.path, "class": "hit" });
      var dot = el("span", { "class": "dot" }); dot.style.background = h.colour;
      a.appendChild(dot);
      a.appendChild(el("span", { "class": "name" }, h.label));
      a.appendChild(el("span", { "class": "muted" }, " " + h.classLabel + (h.matched ? " · “" + h.matched + "”" : "")));
      box.appendChild(a);
    });
    box.hidden = false;
  }
  if (find) {
    find.addEventListener("input", function () {
      clearTimeout(timer);
      var q = find.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        fetch("/api/search?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (hits) {
          if (find.value.trim() === q) show(hits);
        });
      }, 120);
    });
    find.addEventListener("keydown", function (ev) {
      var items = box.querySelectorAll("a.hit");
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (!items.length) return;
        ev.preventDefault();
        active = (active + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (it, i) { it.classList.toggle("active", i === active); });
      } else if (ev.key === "Enter" && active >= 0 && items[active]) {
        ev.preventDefault();
        window.location.href = items[active].getAttribute("href");
      } else if (ev.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (ev) { if (!box.contains(ev.target) && ev.target !== find) close(); });
  }

  // ---------------------------------------------------------------- neighbourhood graph
  var entity = json("entity-data"), container = document.getElementById("graph");
  if (entity && container && window.vis) {
    var nodes = new vis.DataSet(), edges = new vis.DataSet(), expanded = {};
    var net = new vis.Network(container, { nodes: nodes, edges: edges }, {
      physics: { stabilization: { iterations: 150 }, barnesHut: { gravitationalConstant: -3000, springLength: 110 } },
      edges: { arrows: "to", font: { size: 10, align: "middle", strokeWidth: 3 }, color: { color: "#999" }, smooth: { type: "dynamic" } },
      nodes: { font: { size: 14, strokeWidth: 3, strokeColor: "#fff" }, size: 12 },
      interaction: { hover: true }
    });
    window.kgGraph = { network: net, nodes: nodes, edges: edges };
    var expand = function (path) {
      if (expanded[path]) return Promise.resolve();
      expanded[path] = true;
      return fetch("/api/neighbours/" + path).then(function (r) { return r.ok ? r.json() : { nodes: [], edges: [] }; }).then(function (d) {
        d.nodes.forEach(function (n) {
          if (!nodes.get(n.id)) nodes.add({ id: n.id, label: n.label, title: n.label + " (" + n.classLabel + ")", color: n.color, shape: n.shape === "box" ? "box" : "dot" });
        });
        d.edges.forEach(function (e) { if (!edges.get(e.id)) edges.add(e); });
        window.kgGraph.loaded = (window.kgGraph.loaded || 0) + 1;
      });
    };
    expand(entity.path).then(function () {
      var me = nodes.get(entity.path);
      if (me) nodes.update({ id: entity.path, borderWidth: 3, font: { size: 16, bold: true } });
    });
    var settled = function () { if (!window.kgGraph.stable) net.fit(); window.kgGraph.stable = true; };
    net.on("stabilizationIterationsDone", settled);
    net.on("stabilized", settled);
    net.on("click", function (p) { if (p.nodes.length) expand(p.nodes[0]); });
    net.on("doubleClick", function (p) { if (p.nodes.length) window.location.href = "/entity/" + p.nodes[0]; });
    var two = document.getElementById("two-hops");
    if (two) two.addEventListener("click", function () { nodes.getIds().forEach(function (id) { expand(id); }); });
  }

  // ---------------------------------------------------------------- SPARQL page
  var form = document.getElementById("sparql-form");
  if (form) {
    var area = document.getElementById("sparql"), table = document.getElementById("results"), status = document.getElementById("status");
    var error = document.getElementById("error"), examples = json("examples-data") || [];
    var pick = document.getElementById("examples");
    var ID = "https://w3id.org/kg-news/id/";
    var links = function () {
      var q = encodeURIComponent(area.value);
      document.getElementById("csv").href = "/sparql?format=csv&download=1&query=" + q;
      document.getElementById("json").href = "/sparql?format=json&download=1&query=" + q;
    };
    pick.addEventListener("change", function () {
      var ex = examples.filter(function (e) { return e.name === pick.value; })[0];
      if (ex) { area.value = ex.text; links(); }
    });
    area.addEventListener("input", links);
    links();
    var cell = function (b) {
      var td = el("td");
      if (!b) return td;
      if (b.type === "uri" && b.value.indexOf(ID) === 0 && !/^(assertion|mentions)\//.test(b.value.slice(ID.length))) {
        var rest = b.value.slice(ID.length);
        var href = rest.indexOf("article/") === 0 ? "/" + rest : "/entity/" + rest;
        td.appendChild(el("a", { href: href }, rest));
      } else {
        td.textContent = b.value;
      }
      return td;
    };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      error.hidden = true; table.textContent = ""; status.textContent = "running…";
      var t0 = performance.now();
      fetch("/sparql", { method: "POST", headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json, text/turtle" }, body: area.value })
        .then(function (r) {
          if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
          var type = r.headers.get("content-type") || "";
          return type.indexOf("json") >= 0 ? r.json() : r.text().then(function (t) { return { text: t }; });
        })
        .then(function (d) {
          var ms = Math.round(performance.now() - t0);
          if (d.text !== undefined) { var pre = el("pre", {}, d.text); var tr = el("tr"); var td = el("td"); td.appendChild(pre); tr.appendChild(td); table.appendChild(tr); status.textContent = ms + " ms"; return; }
          if (d.boolean !== undefined) { table.appendChild(el("tr")).appendChild(el("td", {}, String(d.boolean))); status.textContent = ms + " ms"; return; }
          var vars = d.head.vars, head = el("tr");
          vars.forEach(function (v) { head.appendChild(el("th", {}, v)); });
          table.appendChild(head);
          d.results.bindings.forEach(function (row) {
            var tr = el("tr");
            vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
            table.appendChild(tr);
          });
          status.textContent = d.results.bindings.length + " row" + (d.results.bindings.length === 1 ? "" : "s") + " · " + ms + " ms";
        })
        .catch(function (e) { status.textContent = ""; error.textContent = e.message; error.hidden = false; });
    });
  }
})();
