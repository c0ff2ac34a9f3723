"""stage(): start and end lines of a tool step, also when it fails."""

import io
import re

import pytest

from lmdkit.utils.progress import describe_file, stage


def test_stage_reports_duration_and_failure(tmp_path):
    out = io.StringIO()
    with stage('reading x', stream=out):
        pass
    assert re.fullmatch(r'reading x \.\.\. done in \d+\.\d s\n', out.getvalue())
    out = io.StringIO()
    with pytest.raises(KeyError), stage('mapping keys', stream=out):
        raise KeyError('k')
    assert re.fullmatch(r'mapping keys \.\.\. failed after \d+\.\d s\n', out.getvalue())
    path = tmp_path / 'w.bin'
    path.write_bytes(b'\0' * (3 * 2**20))
    assert describe_file(str(path)) == f'{path} (3.0 MB)'
