# 노트북의 NumPy 원본 (기준 구현): 은닉층 하나를 가진 완전히 연결된 ReLU 신경망.
# 순전파와 역전파를 NumPy로 직접 구현하고, 경사하강법으로 무작위 데이터를 맞추도록 학습한다.
# 다른 두 스크립트(tensors_manual_backward.py, tensors_autograd.py)와 같은 형식으로 손실을 출력한다.
import numpy as np

np.random.seed(0)  # 실행할 때마다 같은 결과가 나오도록 시드를 고정

# N은 배치 크기이며, D_in은 입력의 차원입니다;
# H는 은닉층의 차원이며, D_out은 출력 차원입니다.
N, D_in, H, D_out = 64, 1000, 100, 10

# 무작위의 입력과 출력 데이터를 생성합니다.
x = np.random.randn(N, D_in)                 # 64행 * 1000열의 행렬 생성 후 randn -> 평균 : 0, 표준편차 : 1 의 가우시안분포를 가진 수로 초기화
y = np.random.randn(N, D_out)                # 64행 * 10열 행렬 생성 후 초기화

# 무작위로 가중치를 초기화합니다.
w1 = np.random.randn(D_in, H)                # 1000행 * 100열의 행렬 생성 후 초기화
w2 = np.random.randn(H, D_out)               # 100행 * 10열의 행렬 생성 후 초기화

learning_rate = 1e-6  # (0.000001)

for t in range(500):
    # 순전파 단계: 예측값 y를 계산합니다.
    h = x.dot(w1)                                         # 입력데이터(64*1000) * 가중치w1(1000*100) 행렬 곱 -> shape = (64,100)
    h_relu = np.maximum(h, 0)                             # numpy.maximum()함수 : 두 배열 사이의 최대값인 배열을 반환 -> 0보다 낮은 값들은 0으로 변환
    y_pred = h_relu.dot(w2)                               # (64,100)*(100,10) -> shape = (64,10)

    # 손실(loss)을 계산하고 출력합니다.
    loss = np.square(y_pred - y).sum()
    if t == 0:
        first_loss = loss
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss)

    # 손실에 따른 w1, w2의 변화도를 계산하고 역전파합니다.
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)

    # 가중치를 갱신합니다.
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2

print("처음 손실 :", first_loss, "-> 마지막 손실 :", loss, "(%.3g배 감소)" % (first_loss / loss))
