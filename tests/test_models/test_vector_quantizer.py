"""The vector quantiser: nearest code, straight-through gradient, loss weighting, dead-code restarts."""

import torch

from lmdkit.models.layers import VectorQuantizer


def test_picks_the_true_nearest_code():
    torch.manual_seed(0)
    vq = VectorQuantizer(16, 3)
    vq.embedding.weight.data = torch.randn(16, 3)
    z = torch.randn(2, 3, 4, 5)
    z_q, _, info = vq(z)
    flat = z.permute(0, 2, 3, 1).reshape(-1, 3)
    brute = torch.stack([((vq.embedding.weight - v) ** 2).sum(1).argmin() for v in flat])
    assert torch.equal(info['indices'].flatten(), brute)
    torch.testing.assert_close(z_q.permute(0, 2, 3, 1).reshape(-1, 3), vq.embedding.weight[brute])


def test_straight_through_gradient_and_loss_terms():
    torch.manual_seed(0)
    for legacy in (False, True):
        vq = VectorQuantizer(8, 2, beta=0.25, legacy=legacy)
        vq.embedding.weight.data = torch.randn(8, 2)
        z = torch.randn(1, 2, 3, 3, requires_grad=True)
        z_q, loss, info = vq(z)
        g = torch.randn_like(z_q)
        (z_q * g).sum().backward(retain_graph=True)
        torch.testing.assert_close(z.grad, g)  # identity gradient to the encoder
        e = vq.embedding.weight[info['indices'].flatten()].detach()
        d = ((z.detach().permute(0, 2, 3, 1).reshape(-1, 2) - e) ** 2).mean()
        expected = (0.25 * d + d) if legacy else (d + 0.25 * d)  # both terms have the same value, not gradient
        torch.testing.assert_close(loss, expected)
        z.grad = None
        vq.embedding.weight.grad = None
        loss.backward()
        # the codebook term moves codes towards z, weighted 1 (0.25 when legacy)
        codebook_weight = 0.25 if legacy else 1.0
        used = info['indices'].flatten()
        grad_codes = torch.zeros(8, 2).index_add_(0, used, 2 * (e - z.detach().permute(0, 2, 3, 1).reshape(-1, 2)))
        torch.testing.assert_close(vq.embedding.weight.grad, codebook_weight * grad_codes / (9 * 2))


def test_dead_codes_restart_onto_encoder_outputs():
    torch.manual_seed(0)
    vq = VectorQuantizer(32, 2, restart_every=2).train()
    vq.embedding.weight.data[:] = 100.0  # every code far away ...
    vq.embedding.weight.data[0] = 0.0  # ... but one, which takes every vector
    z = torch.randn(4, 2, 4, 4)
    vq(z)
    assert int(vq(z)[2]['usage'] * 32) == 1
    flat = z.permute(0, 2, 3, 1).reshape(-1, 2)
    restarted = vq.embedding.weight.data[1:]
    assert all(((flat - c).abs().sum(1) < 1e-6).any() for c in restarted)  # each dead code is now a data point
    assert float(vq(z)[2]['usage']) > 0.3
    assert 'usage_count' in vq.state_dict() and 'usage_count' not in VectorQuantizer(4, 2).state_dict()


def test_usage_counts_and_the_restart_clock_survive_a_reload_without_syncs():
    from lmdkit.utils.host_syncs import HostSyncCounter

    torch.manual_seed(0)
    vq = VectorQuantizer(8, 2, restart_every=3).train()
    z = torch.randn(2, 2, 3, 3)
    with HostSyncCounter() as syncs:
        info = vq(z)[2]
    assert syncs.count == 0  # no restart due: nothing read on the host
    expected = torch.bincount(info['indices'].flatten(), minlength=8).float()
    torch.testing.assert_close(vq.usage_count, expected)
    vq(z)
    reloaded = VectorQuantizer(8, 2, restart_every=3).train()
    reloaded.load_state_dict(vq.state_dict())  # two steps counted: the next one restarts
    reloaded.embedding.weight.data[:] = 100.0
    reloaded.embedding.weight.data[0] = 0.0  # this step every vector goes to code 0
    dead = vq.usage_count == 0  # unused in the two loaded steps and in this one
    dead[0] = False
    assert dead.any()
    reloaded(z)
    assert int(reloaded.steps) == 3 and not reloaded.usage_count.any()  # the restart ran and reset the counts
    moved = (reloaded.embedding.weight.data != 100.0).all(1)
    moved[0] = False
    assert torch.equal(moved, dead)
