set terminal svg size 900,560 font 'sans,12'
set output 'docs/results/paper-figures/acc_sign.svg'
set title 'Main network, p_train = 0 and sign-gradient flip training'
set xlabel 'weight BER'
set ylabel 'test accuracy (%), mean and 95% t-interval over seeds'
set key left bottom
set grid
plot 'docs/results/paper-figures/acc_sign.dat' index 0 using 1:2:3 with yerrorlines title 'fcnn-p0 (n = 5)', \
    'docs/results/paper-figures/acc_sign.dat' index 1 using 1:2:3 with yerrorlines title 'fcnn-p0.01-sign (n = 5)', \
    'docs/results/paper-figures/acc_sign.dat' index 2 using 1:2:3 with yerrorlines title 'fcnn-p0.033-sign (n = 5)', \
    'docs/results/paper-figures/acc_sign.dat' index 3 using 1:2:3 with yerrorlines title 'fcnn-p0.05-sign (n = 5)'
