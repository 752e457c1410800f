// The pages' maps in the page itself (app_pages/_edit_map.py): runs the script
// streamlit-folium's browser side would run for the same folium map (no iframe), keeps
// the map while the page reruns, lays overlays over it in place, and sends a drawn line
// or a clicked feature to the app at once. A display map (data.display) sends nothing,
// ever: each of its messages would rerun the whole page.

// Scripts and style sheets already asked for, shared by every map of the page.
const loading = new Map();

function loadScript(url) {
  if (!loading.has(url)) {
    loading.set(url, new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = url;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.appendChild(tag);
    }));
  }
  return loading.get(url);
}

function loadStyle(url) {
  if (!loading.has(url)) {
    const tag = document.createElement("link");
    tag.rel = "stylesheet";
    tag.href = url;
    document.head.appendChild(tag);
    loading.set(url, Promise.resolve());
  }
}

let serial = 0;

// Display maps of pages the tab left, by base id, kept built (detached) for a return to
// the page: a page change then costs the browser no new map (issue #10 "Load": 20
// browsers on one small server). The oldest beyond KEEP are freed.
const kept = new Map();
const KEEP = 3;

// The unmounted component's map: a display map is kept, an edit map freed (Leaflet
// holds window listeners that would keep it alive).
function park(parent) {
  const shown = parent.gridmapShown;
  parent.gridmapShown = null;
  if (!shown) return;
  shown.element.remove();
  if (!shown.display) {
    shown.map.remove();
    return;
  }
  const old = kept.get(shown.baseId);
  if (old && old !== shown) old.map.remove();
  kept.delete(shown.baseId);
  kept.set(shown.baseId, shown);
  while (kept.size > KEEP) {
    const [id, oldest] = kept.entries().next().value;
    kept.delete(id);
    oldest.map.remove();
  }
}

// The kept display map `id` in a new element of `parent` (per mount, like a built one),
// or null.
function unpark(parent, id) {
  const shown = kept.get(id);
  if (!shown) return null;
  kept.delete(id);
  const element = document.createElement("div");
  element.className = shown.element.className;
  while (shown.element.firstChild) element.appendChild(shown.element.firstChild);
  element.gridmapMap = shown.map;
  parent.appendChild(element);
  shown.element = element;
  // Detached, the map measured 0×0; the centre is kept.
  shown.map.invalidateSize({ animate: false });
  return shown;
}

// The map of `base` in a new element of `parent`: {element, map, drawn}.
async function build(parent, base, data, send) {
  base.css_links.forEach(loadStyle);
  // In order: Leaflet.draw extends the L that Leaflet defines.
  for (const url of base.js_links) await loadScript(url);
  const id = `gridmap-map-${++serial}`;
  const element = document.createElement("div");
  // .gridmap-map: every map of ours (tests/browser.py finds them by it and gridmapMap).
  element.className = `gridmap-map ${data.display ? "gridmap-view-map" : "gridmap-edit-map"}`;
  const styles = (base.header.match(/<style[\s\S]*?<\/style>/gi) || []).join("\n");
  element.innerHTML = styles.split("map_div").join(id) + base.html;
  const host = document.createElement("div");
  host.id = id;
  host.style.height = `${base.height}px`;
  host.style.width = "100%";
  element.appendChild(host);
  parent.appendChild(element);
  // folium's script names the map `map_div` and the drawn lines' group `drawnItems`.
  const run = new Function(
    "gridmapHost",
    base.script.replace('"map_div"', "gridmapHost") +
      "\n;return {map: map_div, drawn: typeof drawnItems === 'undefined' ? null : drawnItems};",
  );
  const { map, drawn } = run(host);
  element.gridmapMap = map;
  const built = {
    element,
    map,
    drawn: drawn instanceof L.FeatureGroup ? drawn : null,
    display: !!data.display,
  };
  if (built.drawn) {
    L.geoJSON(data.drawings || [], { style: () => data.line_style }).eachLayer((layer) =>
      built.drawn.addLayer(layer),
    );
    const lines = () => built.drawn.toGeoJSON().features;
    map.on("draw:created", (event) => {
      built.drawn.addLayer(event.layer); // as folium's own handler does; adding twice is a no-op
      send.state("drawings", lines());
    });
    map.on("draw:deleted", () => send.state("drawings", lines()));
  }
  if (data.clicks) {
    let clicks = 0;
    const hook = (layer) => {
      const props = layer.feature && layer.feature.properties;
      if (!props || props.key === undefined || layer.gridmapHooked) return;
      layer.gridmapHooked = true;
      layer.on("click", (event) => {
        clicks += 1;
        send.trigger("clicked", {
          key: String(props.key),
          lat: event.latlng.lat,
          lng: event.latlng.lng,
          n: clicks,
        });
      });
    };
    map.eachLayer(hook);
    map.on("layeradd", (event) => hook(event.layer));
  }
  return built;
}

// Lay `script` (streamlit-folium's feature-group script) over the map, replacing the last.
function layOver(shown, script, serialNumber) {
  if (shown.overlay) shown.map.removeLayer(shown.overlay);
  shown.overlay = null;
  if (script) {
    const group = L.featureGroup();
    // The script adds its groups to `map_div` and lists them in window.feature_group.
    new Function("map_div", script)(group);
    delete window.feature_group;
    shown.overlay = group.addTo(shown.map);
  }
  shown.element.dataset.overlay = String(serialNumber);
}

async function update(parent, data, send) {
  let shown = parent.gridmapShown;
  if (!shown || shown.baseId !== data.base.id) {
    const again = data.display && unpark(parent, data.base.id);
    if (again) {
      if (shown) {
        shown.map.remove();
        shown.element.remove();
      }
      parent.gridmapShown = again;
      return;
    }
    if (!data.base.script) {
      // The app believes this map is on screen (it was, before a reload): ask for it.
      // (A display map always gets its script: it never says what it shows.)
      if (!data.display) send.state("base", null);
      return;
    }
    if (shown) {
      shown.map.remove();
      shown.element.remove();
    }
    shown = await build(parent, data.base, data, send);
    shown.baseId = data.base.id;
    shown.overlayId = undefined;
    parent.gridmapShown = shown;
    if (!data.display) send.state("base", data.base.id);
  }
  if (shown.overlayId !== data.overlay_id) {
    layOver(shown, data.overlay, data.overlay_id);
    shown.overlayId = data.overlay_id;
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  // Called again whenever the app sends new data: the map stays, only what changed moves.
  const send = { state: setStateValue, trigger: setTriggerValue };
  parentElement.gridmapSend = send;
  const latest = { state: (...a) => parentElement.gridmapSend.state(...a),
                   trigger: (...a) => parentElement.gridmapSend.trigger(...a) };
  parentElement.gridmapQueue = (parentElement.gridmapQueue || Promise.resolve())
    .then(() => update(parentElement, data, latest))
    .catch((error) => console.error("gridmap edit map:", error));
  // Called before new data too: only a component taken off the page gives up its map.
  return () =>
    setTimeout(() => {
      if (!parentElement.isConnected) {
        parentElement.gridmapQueue = parentElement.gridmapQueue.then(() => park(parentElement));
      }
    }, 0);
}
