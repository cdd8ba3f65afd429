# Retrain the genotype of the DARTS paper (DARTS_V2, written as
# DARTS_SUBNET_CIFAR_PAPER_ALIAS.yaml) with the settings of
# darts_subnet_1xb96_cifar10_2.0.py.
_base_ = ['./darts_subnet_1xb96_cifar10_2.0.py']

model = dict(
    fix_subnet='{{ fileDirname }}/DARTS_SUBNET_CIFAR_PAPER_ALIAS.yaml')
