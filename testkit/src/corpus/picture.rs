//! Synthetic photographs: a smooth colour field, a few flat shapes and luma noise.
//!
//! Real photos neither compress further once encoded nor look like flat test cards. A
//! smooth field gives JPEG's DC coefficients something to do, the shapes give it edges, and
//! the noise sets how many bits each pixel costs: its amplitude is what [`super::jpeg`]
//! turns to hit a file size. Integer arithmetic throughout, so the pixels are the same on
//! every platform.

use super::rng::Rng;

/// What to draw: the size in pixels, the amplitude of the luma noise (0 = none, 255 = the
/// full range) and the number of shapes.
#[derive(Debug, Clone, Copy)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub noise: u32,
    pub shapes: u32,
}

/// The scene's pixels, RGB, row by row. `rng` decides colours, shapes and noise.
pub fn render(scene: Scene, rng: &mut Rng) -> Vec<u8> {
    let (w, h) = (scene.width as usize, scene.height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    smooth_field(&mut rgb, w, h, rng);
    for _ in 0..scene.shapes {
        shape(&mut rgb, w, h, rng);
    }
    add_noise(&mut rgb, scene.noise.min(255), rng);
    rgb
}

/// A bilinear blend of a coarse grid of random colours (3 to 9 by 3 to 7 points).
fn smooth_field(rgb: &mut [u8], w: usize, h: usize, rng: &mut Rng) {
    let (gw, gh) = (rng.range(3, 9) as usize, rng.range(3, 7) as usize);
    let grid: Vec<[i32; 3]> = (0..gw * gh)
        .map(|_| {
            let c = rng.next_u64();
            [
                c as u8 as i32,
                (c >> 8) as u8 as i32,
                (c >> 16) as u8 as i32,
            ]
        })
        .collect();
    // Per column: the grid cell to its left and the weight of the right one, in 1/256.
    let cols: Vec<(usize, i32)> = (0..w).map(|x| split(x, w, gw)).collect();
    let mut row_colours = vec![[0i32; 3]; gw];
    for y in 0..h {
        let (gy, fy) = split(y, h, gh);
        for (gx, colour) in row_colours.iter_mut().enumerate() {
            let (top, bottom) = (grid[gy * gw + gx], grid[(gy + 1).min(gh - 1) * gw + gx]);
            for c in 0..3 {
                colour[c] = top[c] * (256 - fy) + bottom[c] * fy; // scaled by 256
            }
        }
        let row = &mut rgb[y * w * 3..(y + 1) * w * 3];
        for (px, &(gx, fx)) in row.chunks_exact_mut(3).zip(&cols) {
            let (left, right) = (row_colours[gx], row_colours[(gx + 1).min(gw - 1)]);
            for c in 0..3 {
                px[c] = ((left[c] * (256 - fx) + right[c] * fx) >> 16) as u8;
            }
        }
    }
}

/// Position `i` of `n` on a grid of `cells` points: (index of the point before, weight of
/// the next one in 1/256).
fn split(i: usize, n: usize, cells: usize) -> (usize, i32) {
    let pos = i * (cells - 1) * 256 / n.max(2).saturating_sub(1).max(1);
    ((pos / 256).min(cells - 1), (pos % 256) as i32)
}

/// One flat-coloured ellipse (60%) or bar (40%) at a random place.
fn shape(rgb: &mut [u8], w: usize, h: usize, rng: &mut Rng) {
    let (cx, cy) = (rng.below(w as u64) as i64, rng.below(h as u64) as i64);
    let r = rng.range(8, (w as i64 / 6).max(9));
    let c = rng.next_u64();
    let colour = [c as u8, (c >> 8) as u8, (c >> 16) as u8];
    let ellipse = rng.chance(0.6);
    let half_height = if ellipse { r } else { r / 2 };
    for y in (cy - half_height).max(0)..(cy + half_height + 1).min(h as i64) {
        let dy = y - cy;
        let half_width = if ellipse {
            ((r * r - dy * dy) as f64).sqrt() as i64
        } else {
            r
        };
        let (x0, x1) = (
            (cx - half_width).max(0),
            (cx + half_width + 1).min(w as i64),
        );
        if x0 >= x1 {
            continue;
        }
        let row = &mut rgb[(y as usize * w + x0 as usize) * 3..(y as usize * w + x1 as usize) * 3];
        for px in row.chunks_exact_mut(3) {
            px.copy_from_slice(&colour);
        }
    }
}

/// Adds the same noise to R, G and B (luma noise: a sensor's grain), centred on zero.
fn add_noise(rgb: &mut [u8], amplitude: u32, rng: &mut Rng) {
    if amplitude == 0 {
        return;
    }
    let (scale, offset) = (amplitude as i32 + 1, amplitude as i32 / 2);
    let mut bits = 0u64;
    for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
        if i % 8 == 0 {
            bits = rng.next_u64();
        }
        let n = ((((bits >> ((i % 8) * 8)) as u8) as i32 * scale) >> 8) - offset;
        for v in px {
            *v = (*v as i32 + n).clamp(0, 255) as u8;
        }
    }
}
