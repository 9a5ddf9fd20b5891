use super::*;
use quick_xml::events::Event;
use quick_xml::Reader;

/// One element of the parsed SVG: name, attributes, and the text that follows it.
#[derive(Debug)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl El {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the SVG as XML (matching end tags, no duplicate attributes, known entities
/// only); panics with the position of the first error.
fn parse(svg: &str) -> Vec<El> {
    let mut r = Reader::from_str(svg);
    r.config_mut().check_end_names = true;
    let mut out: Vec<El> = Vec::new();
    let mut depth = 0i32;
    loop {
        let ev = r
            .read_event()
            .unwrap_or_else(|e| panic!("svg:{}: {e}\n{svg}", r.buffer_position()));
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("well-formed attribute");
                        let v = quick_xml::escape::unescape(std::str::from_utf8(&a.value).unwrap())
                            .expect("known entities in attribute")
                            .into_owned();
                        (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), v)
                    })
                    .collect();
                out.push(El {
                    name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                    attrs,
                    text: String::new(),
                });
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                let raw = std::str::from_utf8(&t).unwrap().to_string();
                let text = quick_xml::escape::unescape(&raw)
                    .expect("known entities in text")
                    .into_owned();
                if let Some(last) = out.last_mut() {
                    last.text.push_str(&text);
                }
            }
            Event::GeneralRef(g) => {
                let name = std::str::from_utf8(&g).unwrap();
                let c = match name {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "#39" => "'",
                    other => panic!("unknown entity &{other}; in {svg}"),
                };
                if let Some(last) = out.last_mut() {
                    last.text.push_str(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements in {svg}");
    assert_eq!(out.first().map(|e| e.name.as_str()), Some("svg"));
    out
}

fn points(el: &El) -> Vec<(f64, f64)> {
    el.attr("points")
        .unwrap()
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

const T0: i64 = 1_700_000_000 - 1_700_000_000 % 86400; // a UTC midnight

fn series(name: &str, pts: &[(i64, Option<f64>)]) -> Series {
    Series {
        name: name.into(),
        points: pts.to_vec(),
    }
}

fn chart<'a>(s: &'a [Series]) -> Chart<'a> {
    Chart {
        title: "Loss",
        unit: "%",
        from: T0,
        to: T0 + 86400,
        series: s,
        empty_text: "Belum ada data",
        min_max: Some(100.0),
    }
}

#[test]
fn points_are_placed_where_the_values_say() {
    let s = [series(
        "gw",
        &[
            (T0, Some(0.0)),
            (T0 + 43200, Some(50.0)),
            (T0 + 86400, Some(100.0)),
        ],
    )];
    let els = parse(&chart(&s).render());
    let lines: Vec<_> = els.iter().filter(|e| e.name == "polyline").collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        points(lines[0]),
        vec![
            (LEFT, BOTTOM),
            ((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0),
            (RIGHT, TOP)
        ]
    );
}

#[test]
fn value_axis_grows_to_a_nice_number_above_the_data() {
    let s = [series("rtt", &[(T0, Some(3.0)), (T0 + 3600, Some(37.0))])];
    let c = Chart {
        unit: "ms",
        min_max: None,
        ..chart(&s)
    };
    assert_eq!(c.y_max(), 50.0);
    let els = parse(&c.render());
    let labels: Vec<_> = els
        .iter()
        .filter(|e| e.name == "text" && e.attr("text-anchor") == Some("end"))
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        labels.starts_with(&["0", "12.5", "25", "37.5", "50"]),
        "{labels:?}"
    );
    assert!(els
        .iter()
        .any(|e| e.attr("class") == Some("unit") && e.text == "ms"));
}

#[test]
fn gaps_break_lines() {
    let s = [series(
        "gw",
        &[
            (T0, Some(1.0)),
            (T0 + 900, Some(2.0)),
            (T0 + 1800, None),
            (T0 + 2700, Some(3.0)),
            (T0 + 3600, Some(4.0)),
            (T0 + 4500, None),
            (T0 + 5400, Some(5.0)),
        ],
    )];
    let els = parse(&chart(&s).render());
    let lines: Vec<_> = els.iter().filter(|e| e.name == "polyline").collect();
    assert_eq!(lines.len(), 2, "two runs around the gap");
    assert_eq!(points(lines[0]).len(), 2);
    assert_eq!(points(lines[1]).len(), 2);
    // The lone last point is drawn as a dot, not lost.
    assert_eq!(els.iter().filter(|e| e.name == "circle").count(), 1);
}

#[test]
fn several_series_each_get_a_legend_entry_and_colour() {
    let s = [
        series("OPD A", &[(T0, Some(1.0)), (T0 + 900, Some(2.0))]),
        series("OPD B", &[(T0, Some(3.0)), (T0 + 900, Some(4.0))]),
    ];
    let els = parse(&chart(&s).render());
    let legend: Vec<_> = els
        .iter()
        .filter(|e| e.attr("class") == Some("legend"))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(legend, ["OPD A", "OPD B"]);
    let strokes: Vec<_> = els
        .iter()
        .filter(|e| e.name == "polyline")
        .map(|e| e.attr("stroke").unwrap())
        .collect();
    assert_eq!(strokes.len(), 2);
    assert_ne!(strokes[0], strokes[1]);
}

#[test]
fn no_data_shows_the_empty_text_and_no_lines() {
    let s = [series("gw", &[(T0, None), (T0 - 10, Some(5.0))])];
    let els = parse(&chart(&s).render());
    assert!(!els
        .iter()
        .any(|e| e.name == "polyline" || e.name == "circle"));
    let empty = els
        .iter()
        .find(|e| e.attr("class") == Some("empty"))
        .unwrap();
    assert_eq!(empty.text, "Belum ada data");
    let none = parse(&chart(&[]).render());
    assert!(none.iter().any(|e| e.attr("class") == Some("empty")));
}

#[test]
fn text_is_escaped_and_the_chart_is_accessible() {
    let s = [series("<b>&\"x'", &[(T0, Some(1.0)), (T0 + 60, Some(1.0))])];
    let c = Chart {
        title: "A & <B>",
        ..chart(&s)
    };
    let svg = c.render();
    let els = parse(&svg);
    assert_eq!(els[0].attr("role"), Some("img"));
    assert_eq!(els[0].attr("aria-label"), Some("A & <B>"));
    assert_eq!(els[1].name, "title");
    assert_eq!(els[1].text, "A & <B>");
    assert!(els.iter().any(|e| e.attr("data-name") == Some("<b>&\"x'")));
    assert!(!svg.contains("<b>"));
}

#[test]
fn time_ticks_fall_on_round_utc_times() {
    let s = [series("gw", &[(T0, Some(1.0))])];
    let els = parse(&chart(&s).render());
    let ticks: Vec<_> = els
        .iter()
        .filter(|e| e.name == "text" && e.attr("text-anchor") == Some("middle"))
        .map(|e| e.text.as_str())
        .collect();
    // 24 h: every 3 h, midnight shown as the date.
    assert_eq!(ticks.len(), 9, "{ticks:?}");
    assert_eq!(ticks[1], "03:00");
    assert!(ticks[0].contains('/') && ticks[8].contains('/'));
    let week = Chart {
        to: T0 + 7 * 86400,
        ..chart(&s)
    };
    let els = parse(&week.render());
    let days = els
        .iter()
        .filter(|e| e.name == "text" && e.attr("text-anchor") == Some("middle"))
        .count();
    assert_eq!(days, 8, "7 d: one tick a day");
}

#[test]
fn same_data_gives_the_same_bytes() {
    let s = [
        series("b", &[(T0 + 900, Some(2.0)), (T0, Some(1.0))]),
        series("a", &[(T0, Some(f64::NAN)), (T0 + 900, Some(4.0))]),
    ];
    let one = chart(&s).render();
    assert_eq!(one, chart(&s.clone()).render());
    // NaN is a gap, never a "NaN" coordinate.
    assert!(!one.contains("NaN"));
    parse(&one);
}
