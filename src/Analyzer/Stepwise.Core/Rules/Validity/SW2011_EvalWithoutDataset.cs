using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2011: evaluation turned on with no evaluation data.</summary>
public sealed class SW2011_EvalWithoutDataset : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2011", "Evaluation is on but there is no evaluation dataset", Severity.Error, "Validity",
        "Reports an evaluation strategy other than `no` (or `do_eval`) in a config that names no evaluation data: " +
        "LLaMA-Factory with no `val_size` and no `eval_dataset`; axolotl with `val_set_size: 0` and no `test_datasets` (an error), " +
        "or with `val_set_size` not written (a warning: axolotl then turns evaluation off); an HF-style config with a " +
        "`train_file` but no `validation_file` (hub datasets are not judged: their test split may serve).",
        "Trainer raises \"You have set args.eval_strategy to ... but you didn't pass an eval_dataset\" (LLaMA-Factory: " +
        "\"Please make sure eval_dataset be provided or val_size >1e-6\"; axolotl: \"eval_steps and eval_strategy are not supported " +
        "with val_set_size == 0\") once the model is loaded. When axolotl's `val_set_size` is left unset it silently passes " +
        "`eval_strategy: no` instead, so the evaluations the config asks for never happen.",
        "```yaml\n### LLaMA-Factory\neval_strategy: epoch\nload_best_model_at_end: true\n# no val_size, no eval_dataset\n```",
        "Split off evaluation data (the fix adds `val_size: 0.1`, axolotl `val_set_size: 0.05`), name an eval dataset, or set the strategy to `no`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        var d = c.Document;
        var strategy = c.Setup.Get("eval_strategy");
        bool strategyOn = strategy.Value.AsString() is { } sv && sv != "no";
        var doEval = d.Find("do_eval");
        bool on = strategyOn || doEval?.Value.AsBool() == true;
        if (!on) return;
        bool Named(string key) => d.Find(key) is { } e && e.Value.Kind != ValueKind.Null && !(e.Value.AsString() is "" ) && !(e.Value.AsDouble() is 0);

        string why;
        Fix? fix = null;
        var anchorEntry = strategy.IsWritten && strategy.Document == d ? strategy.Entry : doEval;
        var severity = Rule.DefaultSeverity;
        switch (c.Setup.Dialect)
        {
            case Dialect.LlamaFactory:
                // hparams/parser.py get_train_args (v0.9.5, lines 362-365): do_eval (which TrainingArguments sets
                // for any eval_strategy but "no") with eval_dataset None and val_size < 1e-6 raises.
                if (Named("val_size") || Named("eval_dataset")) return;
                why = "no val_size and no eval_dataset: LLaMA-Factory stops with \"Please make sure eval_dataset be provided or val_size >1e-6\"";
                if (anchorEntry is not null) fix = Fixes.Add(c, anchorEntry, "val_size", 0.1);
                break;
            case Dialect.Axolotl:
            {
                // axolotl only objects when eval_steps/eval_strategy are written (its own evals_per_epoch path is separate).
                if (!strategy.IsWritten && Fixes.Written(c, "eval_steps") is null) return;
                if (Named("val_set_size") || Named("test_datasets")) return;
                var valSetSize = d.FindSet("val_set_size");
                if (valSetSize is not null)
                {
                    // utils/schemas/validation.py check_evals (v0.18.0): raises when val_set_size == 0 is written.
                    why = "val_set_size is 0 and no test_datasets: axolotl stops with \"eval_steps and eval_strategy are not supported with val_set_size == 0\"";
                }
                else
                {
                    // Not written: the raw check sees None and passes, then core/builders/base.py
                    // _configure_save_and_eval_strategy (v0.18.0) passes eval_strategy "no" when there is no eval dataset.
                    why = "val_set_size is not written (0) and no test_datasets: axolotl silently passes eval_strategy: no, so no evaluation runs";
                    severity = Severity.Warning;
                }
                if (anchorEntry is not null) fix = Fixes.Add(c, anchorEntry, "val_set_size", 0.05);
                break;
            }
            default:
                if (!Named("train_file") || Named("validation_file") || Named("eval_file") || Named("eval_dataset") || Named("validation_split_percentage")
                    || Named("dataset_name") || Named("dataset_path")) return;
                why = "the config names a train_file but no validation_file: Trainer raises \"you didn't pass an eval_dataset\"";
                break;
        }
        bool best = c.Setup.Bool("load_best_model_at_end");
        var what = strategyOn ? $"{strategy.Entry?.Key ?? c.Setup.Spell("eval_strategy")}={strategy.Value.AsString()}" : "do_eval=true";
        var message = $"{what} evaluates, but {why}{(best ? "; load_best_model_at_end depends on those evaluations" : "")}";
        var span = anchorEntry?.ValueSpan ?? d.HeadSpan;
        c.Report(Rule, span, message, severity, Fixes.Of(fix));
    }
}
