namespace Stepwise.Trainer.Outputs;

/// <summary>loss_curve.png: training loss per optimizer step and eval loss at each evaluation (ScottPlot).</summary>
public static class LossCurve
{
    public static void Write(string path, IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> eval, string title)
    {
        var plot = new ScottPlot.Plot();
        var t = train.Where(p => double.IsFinite(p.Loss)).ToList();
        if (t.Count > 0)
        {
            var s = plot.Add.Scatter(t.Select(p => (double)p.Step).ToArray(), t.Select(p => p.Loss).ToArray());
            s.LegendText = "train loss";
            s.MarkerSize = t.Count > 60 ? 0 : 4;
        }
        var e = eval.Where(p => double.IsFinite(p.Loss)).ToList();
        if (e.Count > 0)
        {
            var s = plot.Add.Scatter(e.Select(p => (double)p.Step).ToArray(), e.Select(p => p.Loss).ToArray());
            s.LegendText = "eval loss";
            s.MarkerSize = 7;
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight); // loss falls to the right: the lower-right default hides the last points
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, 800, 500);
        File.Move(tmp, path, overwrite: true);
    }
}
