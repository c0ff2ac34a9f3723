"""The latest checkpoint of a work dir: MMEngine's pointer when it is whole, else the highest iter_N.pth."""

from lmdkit.fileio import latest_checkpoint, pointed_checkpoint


def test_resume_finds_the_newest_complete_checkpoint_when_the_pointer_is_torn(tmp_path):
    """A kill while MMEngine rewrites `last_checkpoint` leaves it empty; --resume then takes the highest iter_N."""
    assert latest_checkpoint(str(tmp_path)) is None and pointed_checkpoint(str(tmp_path)) is None
    for it in (4, 12, 8):
        (tmp_path / f'iter_{it}.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text('')
    assert pointed_checkpoint(str(tmp_path)) is None
    assert latest_checkpoint(str(tmp_path)).endswith('iter_12.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_8.pth') + '\n')
    assert pointed_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_8.pth')
    assert latest_checkpoint(str(tmp_path)).endswith('iter_8.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_99.pth'))  # names a file that is gone
    assert latest_checkpoint(str(tmp_path)).endswith('iter_12.pth')
