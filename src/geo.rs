//! Distances on the GCJ-02 coordinates phones report and sites are stored in. Great-circle
//! (haversine) metres, computed in Rust: SQLite has no trigonometry, and only the few rows inside
//! an indexed bounding box ever need it.

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Metres per degree of latitude on the same sphere as [`distance_m`]: a box drawn on a larger
/// Earth than the distances are measured on would miss sites just inside the radius.
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lng: f64,
}

/// Great-circle distance in metres.
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.lng - a.lng).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A box of latitudes and longitudes holding every point within `radius_m` of `centre` (a
/// little more near the poles, where it is clamped): `(min_lat, max_lat, min_lng, max_lng)`.
pub fn bounding_box(centre: Point, radius_m: f64) -> (f64, f64, f64, f64) {
    let dlat = radius_m / METRES_PER_DEGREE;
    let cos = centre.lat.to_radians().cos().max(0.01);
    let dlng = (radius_m / (METRES_PER_DEGREE * cos)).min(180.0);
    (
        centre.lat - dlat,
        centre.lat + dlat,
        centre.lng - dlng,
        centre.lng + dlng,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_values_within_a_percent() {
        // Tiananmen to the Bund (about 1,067 km), and 0.001° of latitude (about 111 m).
        let beijing = Point {
            lat: 39.9087,
            lng: 116.3975,
        };
        let shanghai = Point {
            lat: 31.2400,
            lng: 121.4900,
        };
        let d = distance_m(beijing, shanghai);
        assert!((d - 1_067_000.0).abs() / 1_067_000.0 < 0.01, "{d}");
        let near = Point {
            lat: 39.9097,
            lng: 116.3975,
        };
        assert!((distance_m(beijing, near) - 111.2).abs() < 0.5);
        assert_eq!(distance_m(beijing, beijing), 0.0);
    }

    #[test]
    fn the_box_holds_every_point_within_the_radius() {
        let centre = Point {
            lat: 22.94,
            lng: 113.38,
        };
        let (min_lat, max_lat, min_lng, max_lng) = bounding_box(centre, 5_000.0);
        for bearing in 0..360 {
            let b = (bearing as f64).to_radians();
            // 4,999 m in every direction, by a small-distance approximation.
            let p = Point {
                lat: centre.lat + 4_999.0 * b.cos() / METRES_PER_DEGREE,
                lng: centre.lng
                    + 4_999.0 * b.sin() / (METRES_PER_DEGREE * centre.lat.to_radians().cos()),
            };
            assert!(distance_m(centre, p) < 5_010.0);
            assert!(
                p.lat >= min_lat && p.lat <= max_lat && p.lng >= min_lng && p.lng <= max_lng,
                "{bearing}"
            );
        }
    }
}
