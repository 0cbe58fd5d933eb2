using Stepwise.Core.Model;

// The seed scenario: the batch went from 8 to 128 for a bigger GPU and max_steps stayed at 1000.
// With the 2,000-example data/train.jsonl that is 1000 / ceil(2000 / 128) = 62.5 epochs, not 3:
// SW1001 on MaxSteps and SW1002 on NumTrainEpochs.
var arguments = new TrainingArguments
{
    OutputDir = "out",
    TrainFile = "data/train.jsonl",
    PerDeviceTrainBatchSize = 128,
    MaxSteps = 1000,
    NumTrainEpochs = 3,
};

Console.WriteLine(arguments);
