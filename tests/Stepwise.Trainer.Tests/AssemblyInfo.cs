// TorchSharp's default generator is process-wide; running test classes one at a time keeps seeded results stable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
