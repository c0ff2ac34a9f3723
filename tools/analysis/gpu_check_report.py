"""The GPU check's thresholds and its report: the Markdown table, the failures, the vendors' peak figures."""

from typing import List, Optional

#: relative difference allowed between bf16 and fp32 losses over the first AGREE_STEPS steps from the same weights
BF16_TOLERANCE = 0.05
AGREE_STEPS = 3
#: least cosine similarity between the bf16 and fp32 gradients of the first batch
GRAD_COSINE_MIN = 0.99
#: relative difference allowed between the FSDP2 model's loss and that of its gathered checkpoint on one device
FSDP2_RELOAD_TOLERANCE = 1e-3

#: vendors' dense bf16 peaks (TFLOP/s), the denominator of published MFU figures such as the targets in
#: gpu_check.SPECS (the A100's 312 for DiT and fast-DiT); the table gives MFU against this and the measured peak
SPEC_BF16_TFLOPS = {'H100 PCIe': 756.0, 'H100': 989.0, 'H200': 989.0, 'A100': 312.0}


def spec_peak_tflops(device_name: str) -> Optional[float]:
    """The vendor's dense bf16 TFLOP/s of a CUDA device by its name, or None for one not in the table."""
    for key, value in SPEC_BF16_TFLOPS.items():  # 'H100 PCIe' before 'H100'
        if key in device_name:
            return value
    return None


def markdown(report: dict) -> str:
    """The report as Markdown: one table row per run (failed runs with their reason), the bf16/fp32 agreement,
    what was skipped."""
    env = report['environment']
    spec = env.get('bf16_spec_tflops')
    memory = 'process peak RSS MB (cumulative)' if 'CPU' in env['device'] else 'peak MB'
    lines = [f"GPU check on {env['device']} ({env['devices']} device(s)), torch {env['torch']}, "
             f"bf16 matmul peak measured {env['bf16_peak_tflops']:.1f} TFLOP/s"
             f"{f', vendor spec {spec:.0f}' if spec else ''}; command: `{report['command']}`", '',
             f'| model | precision | compile | parallel | batch/device | img/s/device | MFU (measured peak) | '
             f'MFU (spec peak) | {memory} | host syncs/step | loss fell | notes |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']  # fmt: skip
    for r in report['runs']:
        if 'error' in r:
            reason = r['reason']
            hint = ' (--batch-scale 0.5 halves the batches)' if 'out of memory' in reason else ''
            lines.append(f"| {r['model']} | {r.get('precision', '')} | {'yes' if r.get('compiled') else 'no'} | "
                         f"{r['parallel']} | | | | | | | | FAILED: {reason}{hint} |")  # fmt: skip
            continue
        notes = []
        if 'loss_scale' in r:
            notes.append(f'final loss scale {r["loss_scale"]:g}')
        if 'reload_ok' in r:
            notes.append(f"FSDP2 checkpoint on 1 device: {'ok' if r['reload_ok'] else 'MISMATCH'} "
                         f"(rel. diff {r['reload_rel_diff']:.1e})")  # fmt: skip
        if r.get('target'):
            notes.append('target ' + r['target'])
        syncs = r.get('host_syncs_per_step', '')
        mfu_spec = f'{100 * r["achieved_tflops"] / spec:.1f}%' if spec else 'n/a'
        lines.append(f"| {r['model']} | {r['precision']} | {'yes' if r['compiled'] else 'no'} | {r['parallel']} "
                     f"x{r['devices']} | {r['batch']} | {r['images_per_s_per_device']:.1f} | {100 * r['mfu']:.1f}% | "
                     f"{mfu_spec} | {r['peak_memory_mb']:.0f} | {syncs} | {'yes' if r['loss_fell'] else 'NO'} | "
                     f"{'; '.join(notes)} |")  # fmt: skip
    lines += ['', f'bf16 against fp32 from the same weights: losses of the first {AGREE_STEPS} steps (tolerance '
                  f'{BF16_TOLERANCE:.0%} relative) and the first batch\'s gradients (cosine >= {GRAD_COSINE_MIN}):',
              '']  # fmt: skip
    for a in report['agreement']:
        if 'error' in a:
            lines.append(f'- {a["model"]}: FAILED (see gpu_check.json)')
            continue
        lines.append(f"- {a['model']}: loss max relative difference {a['max_rel_diff']:.2e}, gradient cosine "
                     f"{a['grad_cosine']:.5f}: {'ok' if a['ok'] else 'OVER TOLERANCE'}")  # fmt: skip
    if report['skipped']:
        lines += ['', 'Skipped: ' + '; '.join(report['skipped'])]
    return '\n'.join(lines) + '\n'


def failures(report: dict) -> List[str]:
    """One message per failed run, non-finite loss, FSDP2 reload mismatch or bf16/fp32 disagreement."""
    found = []
    for r in report['runs']:
        where = f'{r["model"]} {r.get("precision", "")} {r["parallel"]}{" compiled" if r.get("compiled") else ""}'
        if 'error' in r:
            found.append(f'{where}: the run failed:\n{r["error"]}')
        elif not r['finite']:
            found.append(f'{where}: non-finite loss')
        elif r.get('reload_ok') is False:
            found.append(f"{where}: the FSDP2 checkpoint gives loss {r['reloaded_loss']} on one device, "
                         f"the sharded model {r['fsdp2_loss']}")  # fmt: skip
    for a in report['agreement']:
        if 'error' in a:
            found.append(f'{a["model"]} bf16 against fp32: the run failed:\n{a["error"]}')
        elif not a['ok']:
            found.append(
                f'{a["model"]}: bf16 against fp32: losses differ by {a["max_rel_diff"]:.2e} (tolerance '
                f'{BF16_TOLERANCE}), gradient cosine {a["grad_cosine"]:.5f} (least {GRAD_COSINE_MIN})'
            )
    return found
