//! Spectrogram and mix-panel PNGs: sizes, orientation, colour ranges, sidecars, errors.

use std::fs;
use std::path::Path;

use ndarray::Array2;
use randommix_mix::{MixMask, Rect};
use randommix_viz::{
    Colormap, MaskSummary, MixPanel, PanelLayout, PanelMask, PanelSidecar, SpecStyle, VizError,
    render_spectrogram, save_spectrogram_png, sidecar_path, write_panel,
};

/// Decodes an 8-bit RGB PNG into (width, height, bytes).
fn decode(path: &Path) -> (usize, usize, Vec<u8>) {
    let file = fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

fn px(buf: &[u8], w: usize, x: usize, y: usize) -> [u8; 3] {
    let i = 3 * (y * w + x);
    [buf[i], buf[i + 1], buf[i + 2]]
}

fn brightness(c: [u8; 3]) -> u32 {
    c.iter().map(|&v| v as u32).sum()
}

fn ramp(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(r, c)| -60.0 + (r + c) as f32 * 0.5)
}

#[test]
fn spectrogram_png_decodes_with_scaled_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("spec.png");
    save_spectrogram_png(&p, ramp(40, 101).view(), &SpecStyle::default()).unwrap();
    let (w, h, _) = decode(&p);
    assert_eq!((w, h), (101 * 4, 40 * 6));

    let style = SpecStyle {
        x_scale: 2,
        y_scale: 3,
        colormap: Colormap::Magma,
        ..SpecStyle::default()
    };
    save_spectrogram_png(&p, ramp(40, 101).view(), &style).unwrap();
    assert_eq!(decode(&p).0, 202);
    assert_eq!(decode(&p).1, 120);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files left"
    );
}

#[test]
fn low_frequencies_are_at_the_bottom() {
    let mut spec = Array2::<f32>::from_elem((40, 101), -80.0);
    spec.row_mut(0).fill(0.0); // row 0 = lowest mel band, loud
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("low.png");
    let style = SpecStyle::default();
    save_spectrogram_png(&p, spec.view(), &style).unwrap();
    let (w, h, buf) = decode(&p);
    let hot = Colormap::Viridis.map(1.0);
    let cold = Colormap::Viridis.map(0.0);
    for y in h - style.y_scale..h {
        assert_eq!(px(&buf, w, 0, y), hot, "bottom row {y}");
        assert_eq!(px(&buf, w, w - 1, y), hot);
    }
    assert_eq!(px(&buf, w, 0, h - style.y_scale - 1), cold);
    assert_eq!(px(&buf, w, 0, 0), cold, "top row is the highest band");
    assert!(brightness(hot) > brightness(cold));
}

#[test]
fn fixed_db_range_gives_identical_colours_across_images() {
    let style = SpecStyle {
        db_range: Some((-80.0, 0.0)),
        x_scale: 1,
        y_scale: 1,
        ..SpecStyle::default()
    };
    let mut quiet = Array2::<f32>::from_elem((4, 4), -70.0);
    let mut loud = Array2::<f32>::from_elem((4, 4), -5.0);
    quiet[[2, 2]] = -30.0;
    loud[[2, 2]] = -30.0;
    let a = render_spectrogram(quiet.view(), &style).unwrap();
    let b = render_spectrogram(loud.view(), &style).unwrap();
    // Row 2 is drawn at image row 4 - 1 - 2 = 1.
    assert_eq!(a.pixel(2, 1), b.pixel(2, 1));
    assert_ne!(a.pixel(0, 0), b.pixel(0, 0));

    // Without a fixed range each image is scaled to its own maximum: colours differ.
    let auto = SpecStyle {
        db_range: None,
        ..style
    };
    let a = render_spectrogram(quiet.view(), &auto).unwrap();
    let b = render_spectrogram(loud.view(), &auto).unwrap();
    assert_ne!(a.pixel(2, 1), b.pixel(2, 1));
}

#[test]
fn nan_cells_are_drawn_in_the_nan_colour_and_empty_is_an_error() {
    let mut spec = Array2::<f32>::zeros((3, 3));
    spec[[0, 0]] = f32::NAN;
    let style = SpecStyle {
        x_scale: 1,
        y_scale: 1,
        ..SpecStyle::default()
    };
    let im = render_spectrogram(spec.view(), &style).unwrap();
    assert_eq!(im.pixel(0, 2), Some(style.nan_color));
    let all_nan = Array2::<f32>::from_elem((2, 2), f32::NAN);
    let im = render_spectrogram(all_nan.view(), &style).unwrap();
    assert!(im.as_raw().chunks(3).all(|c| c == style.nan_color));

    let empty = Array2::<f32>::zeros((0, 101));
    assert!(matches!(
        render_spectrogram(empty.view(), &style),
        Err(VizError::Empty { .. })
    ));
    let zero_scale = SpecStyle {
        x_scale: 0,
        ..SpecStyle::default()
    };
    assert!(matches!(
        render_spectrogram(spec.view(), &zero_scale),
        Err(VizError::BadImageSize { .. })
    ));
}

#[test]
fn writing_into_a_missing_folder_names_the_path_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("missing").join("spec.png");
    let e = save_spectrogram_png(&p, ramp(4, 4).view(), &SpecStyle::default()).unwrap_err();
    assert!(matches!(e, VizError::Write(_)));
    assert!(e.to_string().contains("spec.png"), "{e}");
    assert!(!dir.path().join("missing").exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

    let z = ramp(4, 4);
    let panel = MixPanel::new(
        z.view(),
        z.view(),
        z.view(),
        PanelMask::blend(),
        "mixup",
        0.5,
    );
    let p = dir.path().join("missing").join("panel.png");
    let e = write_panel(&p, &panel).unwrap_err();
    assert!(e.to_string().contains("panel.png"), "{e}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn read_sidecar(path: &Path) -> PanelSidecar {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn cutmix_panel_png_and_sidecar() {
    let a = Array2::<f32>::from_elem((40, 101), -20.0);
    let b = Array2::<f32>::from_elem((40, 101), -60.0);
    let mut mixed = a.clone();
    mixed
        .slice_mut(ndarray::s![10..30, 20..60])
        .assign(&b.slice(ndarray::s![10..30, 20..60]));
    let bx = MixMask::Box(Rect::new(10, 20, 20, 40));
    let mut panel = MixPanel::new(
        a.view(),
        b.view(),
        mixed.view(),
        PanelMask::Mix(&bx),
        "cutmix",
        0.8,
    );
    panel.a_label = "yes";
    panel.b_label = "no";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mix_000.png");
    let json = write_panel(&p, &panel).unwrap();
    assert_eq!(json, sidecar_path(&p));
    assert_eq!(json, dir.path().join("mix_000.json"));
    let (w, h, _) = decode(&p);
    assert!(w >= 2 * 404 && h >= 2 * 240, "{w}x{h}");

    let s = read_sidecar(&json);
    assert_eq!(s.image, "mix_000.png");
    assert_eq!(s.mode, "cutmix");
    assert_eq!((s.a_label.as_str(), s.b_label.as_str()), ("yes", "no"));
    assert_eq!(s.shape, [40, 101]);
    assert_eq!(
        s.mask,
        MaskSummary::Box {
            top: 10,
            left: 20,
            height: 20,
            width: 40
        }
    );
    assert!((s.mask_share_a - (1.0 - 800.0 / 4040.0)).abs() < 1e-12);
    assert_eq!(
        s.db_range,
        [-100.0, -20.0],
        "common auto range over A, B, mixed"
    );
    assert_eq!(s.png_size, [w, h]);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn mask_tile_is_white_for_a_and_black_for_b() {
    // Row layout, scale 1: tiles are easy to locate from the sidecar size and tile widths.
    let (rows, cols) = (8, 10);
    let z = Array2::<f32>::zeros((rows, cols));
    let mut m = Array2::from_elem((rows, cols), true);
    m.row_mut(0).fill(false); // lowest band from B
    let m = MixMask::Mask(std::sync::Arc::new(m));
    let mut panel = MixPanel::new(
        z.view(),
        z.view(),
        z.view(),
        PanelMask::Mix(&m),
        "fmix",
        0.875,
    );
    panel.style = SpecStyle {
        x_scale: 20,
        y_scale: 20,
        ..SpecStyle::default()
    };
    panel.layout = PanelLayout::Row;
    let im = randommix_viz::render_panel(&panel).unwrap();
    // Find the mask tile: the rightmost tile, 200 x 160. Scan for its pure white / black
    // cells along a column in its middle.
    let w = im.width();
    let mut col_x = None;
    for x in (0..w).rev() {
        let whites = (0..im.height())
            .filter(|&y| im.pixel(x, y) == Some([255, 255, 255]))
            .count();
        let blacks = (0..im.height())
            .filter(|&y| im.pixel(x, y) == Some([0, 0, 0]))
            .count();
        if blacks == 20 && whites >= 140 {
            col_x = Some(x);
            break;
        }
    }
    let x = col_x.expect("mask tile column with 20 black and 140 white pixels");
    // The black pixels (B) are the lowest band, so they lie below the white ones.
    let ys_black: Vec<usize> = (0..im.height())
        .filter(|&y| im.pixel(x, y) == Some([0, 0, 0]))
        .collect();
    let first_white_in_tile = (0..im.height())
        .filter(|&y| im.pixel(x, y) == Some([255, 255, 255]))
        .filter(|&y| y + 20 > ys_black[0] - 140)
        .min()
        .unwrap();
    assert!(ys_black[0] > first_white_in_tile);
    assert_eq!(ys_black.last().unwrap() - ys_black[0], 19);
}

#[test]
fn mixup_and_share_panels_render() {
    let a = ramp(40, 101);
    let b = a.mapv(|v| v - 20.0);
    let mixed = &a * 0.63 + &b * 0.37;
    let dir = tempfile::tempdir().unwrap();

    let p = dir.path().join("mixup.png");
    let json = write_panel(
        &p,
        &MixPanel::new(
            a.view(),
            b.view(),
            mixed.view(),
            PanelMask::blend(),
            "mixup",
            0.63,
        ),
    )
    .unwrap();
    let s = read_sidecar(&json);
    assert_eq!(s.mask, MaskSummary::None);
    assert!((s.mask_share_a - 0.63).abs() < 1e-6);
    decode(&p);

    let mut share = Array2::<f32>::from_elem((40, 101), 1.0);
    share[[0, 0]] = f32::NAN;
    share[[1, 1]] = 0.0;
    let mut panel = MixPanel::new(
        a.view(),
        b.view(),
        mixed.view(),
        PanelMask::Share(share.view()),
        "soft",
        0.5,
    );
    panel.style.db_range = Some((-90.0, 0.0));
    let p = dir.path().join("share.png");
    let s = read_sidecar(&write_panel(&p, &panel).unwrap());
    assert_eq!(s.mask, MaskSummary::Mask { nan_cells: 1 });
    assert_eq!(s.db_range, [-90.0, 0.0]);
    assert!((s.mask_share_a - 4038.0 / 4039.0).abs() < 1e-12);
}

#[test]
fn bad_panels_are_errors_and_write_nothing() {
    let a = Array2::<f32>::zeros((40, 101));
    let small = Array2::<f32>::zeros((40, 100));
    let outside = MixMask::Box(Rect::new(30, 0, 11, 5));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.png");
    let cases = [
        MixPanel::new(
            a.view(),
            small.view(),
            a.view(),
            PanelMask::blend(),
            "mixup",
            0.5,
        ),
        MixPanel::new(
            a.view(),
            a.view(),
            a.view(),
            PanelMask::blend(),
            "mixup",
            f32::NAN,
        ),
        MixPanel::new(
            a.view(),
            a.view(),
            a.view(),
            PanelMask::blend(),
            "mixup",
            1.5,
        ),
        MixPanel::new(
            a.view(),
            a.view(),
            a.view(),
            PanelMask::Mix(&outside),
            "cutmix",
            0.5,
        ),
        MixPanel::new(
            a.view(),
            a.view(),
            a.view(),
            PanelMask::Share(small.view()),
            "fmix",
            0.5,
        ),
    ];
    for panel in &cases {
        assert!(write_panel(&p, panel).is_err());
    }
    let empty = Array2::<f32>::zeros((0, 0));
    let panel = MixPanel::new(
        empty.view(),
        empty.view(),
        empty.view(),
        PanelMask::blend(),
        "x",
        0.5,
    );
    assert!(matches!(
        write_panel(&p, &panel),
        Err(VizError::Empty { .. })
    ));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
