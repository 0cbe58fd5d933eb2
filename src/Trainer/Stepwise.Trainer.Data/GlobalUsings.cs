global using Stepwise.Tokenizers;
