# repa_dit-s2_fmnist.py with the teacher's features cached with the latents (tools/cache_latents.py --teacher): each
# training step reads the LMD teacher's class token and patch map of the view it draws instead of running the
# teacher (its forward is the step's "teacher forward" part in tools/benchmark.py --breakdown). The dataset serves
# them only while model.alignment.teacher is the cached one (type, weights sha256, settings). Validation keeps the
# plain latent cache (REPA's validation loss needs no teacher; REG's does: with an image teacher, build the val cache
# with --teacher too).
#   python tools/prepare.py configs/repa/repa_dit-s2_fmnist_teacher-cache.py   (the teacher, then this cache)
#   python tools/train.py configs/repa/repa_dit-s2_fmnist_teacher-cache.py
_base_ = ['./repa_dit-s2_fmnist.py']
train_dataloader = dict(dataset=dict(cache_dir='work_dirs/cache/vqf4_fmnist_repa-lmd/train'))
prerequisites = dict(
    train_cache=dict(
        command='python tools/cache_latents.py configs/repa/repa_dit-s2_fmnist.py --out {path} --flip --teacher',
        config='configs/repa/repa_dit-s2_fmnist.py',
        minutes=None,
    )
)
