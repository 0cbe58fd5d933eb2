#!/usr/bin/env bash
# A scripted stand-in for `stepwise-trainer train CONFIG --progress json` (docs/trainer/progress-protocol.md).
# The scenario is the config's `# fake: MODE` line: success, relative, crash, garbage, cancel, stubborn, external.
set -u
config="${2:-}"
echo "fake-trainer args: $*" >&2
mode=$(sed -n 's/^# fake: *\([a-z]*\).*/\1/p' "$config" | head -n1)
out="$(dirname "$config")/out"
start() { echo "{\"event\":\"start\",\"config\":\"$config\",\"output_dir\":\"$out\",\"total_steps\":$1,\"epochs\":1,\"dataset_size\":24,\"unknown_field\":[1,2]}"; }
step() { echo "{\"event\":\"step\",\"step\":$1,\"total_steps\":$2,\"epoch\":$3,\"loss\":$4,\"lr\":0.0002,\"samples_per_second\":8.5,\"eta_seconds\":$5}"; }
case "$mode" in
  success)
    start 3
    echo "loading the model" >&2
    step 1 3 0.333333 2.5 192
    step 2 3 0.666667 2.25 64.4
    echo "{\"event\":\"eval\",\"step\":2,\"epoch\":0.666667,\"eval_loss\":2.4}"
    step 3 3 1 2.0 0
    echo "{\"event\":\"save\",\"step\":3,\"checkpoint\":\"$out/checkpoint-3\",\"deleted\":[]}"
    echo "{\"event\":\"done\",\"adapter_path\":\"$out/adapter_model.safetensors\",\"final_loss\":2.0,\"loss_curve\":\"$out/loss_curve.png\",\"stopped\":false}"
    exit 0 ;;
  relative)
    # Paths relative to the working directory (the config's folder), as a trainer run with output_dir: out prints them.
    start 1
    step 1 1 1 1.0 0
    echo "{\"event\":\"done\",\"adapter_path\":\"out/adapter\",\"final_loss\":1.0,\"loss_curve\":\"out/loss_curve.png\",\"stopped\":false}"
    exit 0 ;;
  crash)
    start 10
    step 1 10 0.1 3.0 90
    echo "RuntimeError: CUDA out of memory" >&2
    exit 1 ;;
  garbage)
    start 4
    echo "this is not json"
    echo '{"no_event": 1}'
    step 1 4 0.25 1.5 30
    echo '{"event": "step", "step": '
    exit 0 ;;
  cancel|stubborn)
    stop=0
    if [ "$mode" = cancel ]; then trap 'stop=1' INT; else trap '' INT; fi
    start 100
    step 1 100 0.01 4.0 990
    while [ $stop = 0 ]; do sleep 0.05; done
    echo "{\"event\":\"save\",\"step\":1,\"checkpoint\":\"$out/checkpoint-1\",\"deleted\":[]}"
    echo "{\"event\":\"done\",\"adapter_path\":\"$out/adapter_model.safetensors\",\"final_loss\":4.0,\"global_step\":1,\"loss_curve\":null,\"stopped\":true}"
    exit 130 ;;
  external)
    # What HF Trainer prints under llamafactory-cli / axolotl (recorded shapes), tqdm redraws joined by \r.
    # All on stdout so the order the test asserts is fixed (the server parses both streams alike).
    printf '  0%%|          | 0/4 [00:00<?, ?it/s]\r 25%%|██▌       | 1/4 [00:01<00:03,  1.00it/s]\n'
    echo "{'loss': 1.875, 'grad_norm': 0.52, 'learning_rate': 0.0002, 'epoch': 0.25}"
    printf ' 50%%|█████     | 2/4 [00:02<00:02,  1.00it/s]\n'
    echo "{'train_runtime': 4.1, 'train_loss': 1.7, 'epoch': 1.0}"
    exit 0 ;;
  *)
    echo "{\"event\":\"error\",\"message\":\"$config:1:1: no '# fake:' mode\",\"checkpoint\":null}"
    exit 1 ;;
esac
