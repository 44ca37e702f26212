# gnuplot script written by rramsim plot 0.1.0+8a92ebf-dirty from /tmp/sw_m/arch/results.jsonl
# Run from any folder: gnuplot path/to/plots.gp (data files are next to it).
d = system("dirname '".ARG0."'")

# accuracy_vs_energy
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/accuracy_vs_energy.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set offsets graph 0.05, graph 0.05, 0, 0
set title "Accuracy vs inference energy per image"
set xlabel "inference energy per image (nJ)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_energy.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_energy.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_energy.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low", d.'/accuracy_vs_energy_pareto.dat' index 0 using 1:2 with lines lw 1.5 dt 2 lc rgb 'black' title "Pareto front: low_power_array, fcnn.bnn (timed)"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/accuracy_vs_energy.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set offsets graph 0.05, graph 0.05, 0, 0
set title "Accuracy vs inference energy per image"
set xlabel "inference energy per image (nJ)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_energy.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_energy.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_energy.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low", d.'/accuracy_vs_energy_pareto.dat' index 0 using 1:2 with lines lw 1.5 dt 2 lc rgb 'black' title "Pareto front: low_power_array, fcnn.bnn (timed)"

# accuracy_vs_programming_energy
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/accuracy_vs_programming_energy.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set logscale x
set title "Accuracy vs energy to program the weights"
set xlabel "programming energy (uJ)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_programming_energy.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_programming_energy.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_programming_energy.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low", d.'/accuracy_vs_programming_energy_pareto.dat' index 0 using 1:2 with lines lw 1.5 dt 2 lc rgb 'black' title "Pareto front: low_power_array, fcnn.bnn (timed)"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/accuracy_vs_programming_energy.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set logscale x
set title "Accuracy vs energy to program the weights"
set xlabel "programming energy (uJ)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_programming_energy.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_programming_energy.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_programming_energy.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low", d.'/accuracy_vs_programming_energy_pareto.dat' index 0 using 1:2 with lines lw 1.5 dt 2 lc rgb 'black' title "Pareto front: low_power_array, fcnn.bnn (timed)"

# accuracy_vs_ber
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/accuracy_vs_ber.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set offsets graph 0.05, graph 0.05, 0, 0
set title "Accuracy vs observed bit error rate"
set xlabel "observed BER (write + read errors per bit)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_ber.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_ber.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_ber.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/accuracy_vs_ber.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set offsets graph 0.05, graph 0.05, 0, 0
set title "Accuracy vs observed bit error rate"
set xlabel "observed BER (write + read errors per bit)"
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_ber.dat' index 0 using 1:3:4 with yerrorbars lc 1 pt 5 ps 1.3 title "low_power_array, fcnn.bnn (timed): nominal", d.'/accuracy_vs_ber.dat' index 1 using 1:3:4 with yerrorbars lc 2 pt 7 ps 1.3 title "low_power_array, fcnn.bnn (timed): very_low", d.'/accuracy_vs_ber.dat' index 2 using 1:3:4 with yerrorbars lc 3 pt 9 ps 1.3 title "low_power_array, fcnn.bnn (timed): ultra_low"

# latency_vs_op_point
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/latency_vs_op_point.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set xtics ("nominal" 0, "very_low" 1, "ultra_low" 2)
set xrange [-0.5:2.5]
set title "Inference latency per image by operating point"
set xlabel "operating point"
set ylabel "latency per image (us), mean ± sd over seeds"
plot d.'/latency_vs_op_point.dat' index 0 using 1:2:3 with yerrorbars lc 1 pt 5 title "low_power_array, fcnn.bnn (timed)"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/latency_vs_op_point.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set xtics ("nominal" 0, "very_low" 1, "ultra_low" 2)
set xrange [-0.5:2.5]
set title "Inference latency per image by operating point"
set xlabel "operating point"
set ylabel "latency per image (us), mean ± sd over seeds"
plot d.'/latency_vs_op_point.dat' index 0 using 1:2:3 with yerrorbars lc 1 pt 5 title "low_power_array, fcnn.bnn (timed)"

# accuracy_vs_organisation_banks_per_channel
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/accuracy_vs_organisation_banks_per_channel.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("2" 2, "8" 8, "16" 16)
set title "Accuracy vs organisation.banks_per_channel"
set xlabel ""
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_organisation_banks_per_channel.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, rows=1024", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, rows=1024", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=1024"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/accuracy_vs_organisation_banks_per_channel.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("2" 2, "8" 8, "16" 16)
set title "Accuracy vs organisation.banks_per_channel"
set xlabel ""
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_organisation_banks_per_channel.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=256", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=512", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, rows=1024", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, rows=1024", d.'/accuracy_vs_organisation_banks_per_channel.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=1024"

# energy_vs_organisation_banks_per_channel
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/energy_vs_organisation_banks_per_channel.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("2" 2, "8" 8, "16" 16)
set title "Inference energy per image vs organisation.banks_per_channel"
set xlabel ""
set ylabel "inference energy per image (nJ), mean ± sd over seeds"
plot d.'/energy_vs_organisation_banks_per_channel.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, rows=1024", d.'/energy_vs_organisation_banks_per_channel.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, rows=1024", d.'/energy_vs_organisation_banks_per_channel.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=1024"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/energy_vs_organisation_banks_per_channel.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("2" 2, "8" 8, "16" 16)
set title "Inference energy per image vs organisation.banks_per_channel"
set xlabel ""
set ylabel "inference energy per image (nJ), mean ± sd over seeds"
plot d.'/energy_vs_organisation_banks_per_channel.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=256", d.'/energy_vs_organisation_banks_per_channel.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=512", d.'/energy_vs_organisation_banks_per_channel.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, rows=1024", d.'/energy_vs_organisation_banks_per_channel.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, rows=1024", d.'/energy_vs_organisation_banks_per_channel.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, rows=1024"

# accuracy_vs_organisation_rows
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/accuracy_vs_organisation_rows.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("256 / 1024" 256, "512 / 512" 512, "1024 / 256" 1024)
set title "Accuracy vs organisation.rows / organisation.columns (zipped)"
set xlabel ""
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_organisation_rows.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=16", d.'/accuracy_vs_organisation_rows.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=16", d.'/accuracy_vs_organisation_rows.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=16"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/accuracy_vs_organisation_rows.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("256 / 1024" 256, "512 / 512" 512, "1024 / 256" 1024)
set title "Accuracy vs organisation.rows / organisation.columns (zipped)"
set xlabel ""
set ylabel "accuracy (%), mean ± sd over seeds"
plot d.'/accuracy_vs_organisation_rows.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=2", d.'/accuracy_vs_organisation_rows.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=8", d.'/accuracy_vs_organisation_rows.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=16", d.'/accuracy_vs_organisation_rows.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=16", d.'/accuracy_vs_organisation_rows.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=16"

# energy_vs_organisation_rows
set terminal pngcairo noenhanced size 1100,650 font ',11'
set output d.'/energy_vs_organisation_rows.png'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("256 / 1024" 256, "512 / 512" 512, "1024 / 256" 1024)
set title "Inference energy per image vs organisation.rows / organisation.columns (zipped)"
set xlabel ""
set ylabel "inference energy per image (nJ), mean ± sd over seeds"
plot d.'/energy_vs_organisation_rows.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=16", d.'/energy_vs_organisation_rows.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=16", d.'/energy_vs_organisation_rows.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=16"
set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'
set output d.'/energy_vs_organisation_rows.svg'
reset
set key outside right top noenhanced box
set grid
set datafile commentschars '#'
set key outside below left Left reverse noenhanced box
set offsets graph 0.08, graph 0.08, 0, 0
set xtics ("256 / 1024" 256, "512 / 512" 512, "1024 / 256" 1024)
set title "Inference energy per image vs organisation.rows / organisation.columns (zipped)"
set xlabel ""
set ylabel "inference energy per image (nJ), mean ± sd over seeds"
plot d.'/energy_vs_organisation_rows.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 5 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 9 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=2", d.'/energy_vs_organisation_rows.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 13 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 4 using 1:2:3 with yerrorlines lc 5 pt 15 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 5 using 1:2:3 with yerrorlines lc 6 pt 4 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=8", d.'/energy_vs_organisation_rows.dat' index 6 using 1:2:3 with yerrorlines lc 7 pt 6 title "low_power_array, fcnn.bnn (timed), nominal, banks_per_channel=16", d.'/energy_vs_organisation_rows.dat' index 7 using 1:2:3 with yerrorlines lc 8 pt 8 title "low_power_array, fcnn.bnn (timed), very_low, banks_per_channel=16", d.'/energy_vs_organisation_rows.dat' index 8 using 1:2:3 with yerrorlines lc 9 pt 12 title "low_power_array, fcnn.bnn (timed), ultra_low, banks_per_channel=16"
