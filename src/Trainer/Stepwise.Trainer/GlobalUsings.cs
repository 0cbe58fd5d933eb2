global using TorchSharp;
global using TorchSharp.Modules;
global using static TorchSharp.torch;
global using static TorchSharp.torch.nn;
global using Stepwise.Tokenizers;
