// routes.geojson as routes with their stops in order, the rides over each child's limit, and
// each route's line: along the roads (its LineString) when the plan was solved on a road
// network, else straight between its stops.
export function routesFrom(geojson, rideLimits = {}) {
  const routes = new Map();
  const route = (id) => {
    if (!routes.has(id)) routes.set(id, { route_id: id, stops: [], props: {}, line: [] });
    return routes.get(id);
  };
  for (const feature of geojson.features) {
    const p = feature.properties;
    if (p.kind === "route") Object.assign(route(p.route_id), { props: p, line: feature.geometry.coordinates });
    else route(p.route_id).stops.push({ ...p, lon: feature.geometry.coordinates[0], lat: feature.geometry.coordinates[1] });
  }
  const out = [];
  for (const r of routes.values()) {
    r.stops.sort((a, b) => a.stop_order - b.stop_order);
    for (const s of r.stops) {
      const limit = s.child_id ? rideLimits[s.child_id] : undefined;
      s.limit_min = limit ?? null;
      s.over = typeof limit === "number" && typeof s.ride_min === "number" && s.ride_min > limit + 1e-6;
    }
    const children = r.stops.filter((s) => s.child_id);
    // What the map draws without roads: the stops in order, without the runs out of and back
    // to the depot.
    const served = r.stops.filter((s) => s.kind !== "start" && s.kind !== "end").map((s) => [s.lon, s.lat]);
    const alongRoads = r.props.along_roads === true && r.line.length >= 2;
    out.push({
      ...r,
      session: r.props.session || (r.stops[0] || {}).session,
      school_id: r.props.school_id,
      vehicle_type: r.props.vehicle_type || "unknown",
      children: children.length,
      cost_gbp: r.props.cost_gbp,
      longest_ride_min: Math.max(0, ...children.map((s) => s.ride_min || 0)),
      over: children.filter((s) => s.over).length,
      served,
      along_roads: alongRoads,
      drawn: alongRoads ? r.line : served,
    });
  }
  return out.sort((a, b) => a.route_id.localeCompare(b.route_id));
}

export const VEHICLE_CLASSES = ["taxi", "minibus", "wav", "coach", "bus"];

export function vehicleClass(type) {
  const t = String(type).toLowerCase();
  return VEHICLE_CLASSES.find((v) => t.includes(v)) || "other";
}
