//! An enrolment QR code read from what a phone camera makes of a printed sheet: the code printed with
//! a white margin, photographed at an angle on a grey desk (perspective), slightly out of focus
//! (blur), with sensor noise, saved as a JPEG. The photo is made by ImageMagick (`convert`, installed
//! by `scripts/setup.sh`) from the drawn code. The noise is seeded, so a failure can be replayed; each
//! case is tried under several seeds, because one lucky noise pattern proves little.

use std::process::Command;

const OFFER: &str = "zoufang:enrol?v=1&u=https%3A%2F%2F10.20.30.40%3A8470&c=G98S-JVDJ&p=4c1f0e9b7a6d5c4b3a29180716253443526170819a8b7c6d5e4f30211203f4e5&n=%E7%BA%A2%E9%98%B3%E6%9D%91&r=work_team";

fn photograph(png: &[u8], dir: &std::path::Path, blur: f32, tilt: u32, seed: u32) -> Vec<u8> {
    let (input, output) = (dir.join("code.png"), dir.join(format!("photo-{blur}-{tilt}-{seed}.jpg")));
    std::fs::write(&input, png).unwrap();
    let img = image::load_from_memory(png).unwrap();
    let (w, h) = (img.width() + 160, img.height() + 160);
    // The printed sheet's corners, moved as a camera held at an angle sees them.
    let t = tilt;
    let points =
        format!("0,0 {t},{} {w},0 {},{t} 0,{h} {},{} {w},{h} {},{}", t / 2, w - t, t / 3, h - t, w - t / 2, h - t / 4);
    let out = Command::new("convert")
        .args(["-seed", &seed.to_string()])
        .arg(&input)
        .args(["-bordercolor", "white", "-border", "80", "-background", "#8a8f94", "-virtual-pixel", "background"])
        .args(["+distort", "Perspective", &points])
        .args(["-blur", &format!("0x{blur}"), "-attenuate", "0.5", "+noise", "Gaussian", "-quality", "82"])
        .arg(&output)
        .output()
        .expect("ImageMagick's convert is needed (scripts/setup.sh installs imagemagick)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&output).unwrap()
}

#[test]
fn a_photo_of_a_printed_code_at_an_angle_and_out_of_focus_reads() {
    let dir = tempfile::tempdir().unwrap();
    // A phone's photo: the code about 1,200 px across (16 px a module), the frame around it.
    let png = zoufang_media::qr::png(OFFER, 16).unwrap();
    // Up to a sheet whose far edge is a fifth shorter than its near one, out of focus by 3 px.
    for (blur, tilt) in [(1.5, 100), (2.5, 160), (3.0, 200)] {
        for seed in 1..=3 {
            let photo = photograph(&png, dir.path(), blur, tilt, seed);
            assert_eq!(
                zoufang_media::qr::read(&photo).as_deref(),
                Ok(OFFER),
                "blur {blur}, tilt {tilt} px, seed {seed}"
            );
        }
    }
    // Blurred past reading: said so, not misread.
    let photo = photograph(&png, dir.path(), 24.0, 100, 1);
    assert!(zoufang_media::qr::read(&photo).is_err());
}
